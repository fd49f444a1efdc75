"""Old path kept for migrations 0007, which import it; new code imports ``approvals.cases.models.project``."""

from approvals.cases.models.project import transition_choices  # noqa: F401
