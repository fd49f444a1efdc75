"""Old path kept for migrations 0009, which import it; new code imports ``approvals.spreadsheets.models``."""

from approvals.spreadsheets.models import import_path  # noqa: F401
