"""Old path kept for migrations 0022, which import it; new code imports ``approvals.cases.models.thresholds``."""

from approvals.cases.models.thresholds import (  # noqa: F401
    default_milestone_red_after_days,
    default_milestone_yellow_within_days,
)
