"""The approvals admin, one module per page family."""

from . import (  # noqa: F401  (registers the admins)
    audit,
    batches,
    casework,
    checklist,
    jobs,
    problems,
    projects,
    records,
    reminders,
    requests,
    schedule,
    service_records,
)
