"""Old path kept for migrations 0008, 0009, 0016, 0018, which import it; new code imports ``approvals.core.dates``."""

from approvals.core.dates import validate_entered_date, validate_not_future  # noqa: F401
