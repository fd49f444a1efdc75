"""The admin, one module per page family: every page of the site, the zones' and the
accounts' included (same look, same list rules)."""

from approvals.admin import (  # noqa: F401  (registers the admins)
    accounts,
    audit,
    batches,
    bulletins,
    casework,
    channels,
    checklist,
    jobs,
    problems,
    projects,
    records,
    reminders,
    requests,
    schedule,
    service_records,
    unfold_headers,
    zones,
)

unfold_headers.install()  # a list's headers once per list, not per row
