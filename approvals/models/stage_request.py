"""Old path kept for migrations 0004, which import it; new code imports ``approvals.stages.models``."""

from approvals.stages.models import attachment_path  # noqa: F401
