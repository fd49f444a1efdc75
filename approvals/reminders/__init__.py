"""Reminders when a project falls behind: the Reminder and its deliveries (``models``), the
scan, the ladder of escalation and the outbox (``services``), and the unread count every admin
page shows (``context_processors``)."""
