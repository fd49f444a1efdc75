"""The approvals admin, one module per page family."""

from . import checklist, jobs, projects, records, reminders, requests  # noqa: F401  (registers the admins)
