"""Reminders when a project falls behind: the Reminder and its deliveries (``models``), the
ladder of escalation (``ladder``), the daily scan (``scan``), the outbox that records and sends
(``outbox``), the daily job that runs them (``services``, which re-exports their public names),
and the unread count every admin page shows (``context_processors``)."""
