"""Old path kept for migrations 0001, 0004, 0008, which import it; new code imports ``approvals.cases.project_code``."""

from approvals.cases.project_code import ProjectCodeField, validate_project_code  # noqa: F401
