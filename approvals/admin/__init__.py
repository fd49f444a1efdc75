"""The approvals admin, one module per page family."""

from . import (  # noqa: F401  (registers the admins)
    batches,
    checklist,
    jobs,
    projects,
    records,
    reminders,
    requests,
    schedule,
)
