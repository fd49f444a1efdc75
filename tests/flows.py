"""The way a stage changes, as the guide tells it: an officer asks, a supervisor approves."""

from approvals.models import Project, StageRequest
from approvals.stages import workflow


def move(
    project: Project, name: str, *, officer, supervisor, comment: str = "", **evidence
) -> StageRequest:
    stage_request = workflow.request_transition(project, name, by=officer, note=comment, **evidence)
    workflow.decide(stage_request, by=supervisor, approve=True, comment=comment)
    project.refresh_from_db()
    return stage_request


def administrator():
    """Somebody who may generate any project's checklist, for tests whose subject is not who."""
    from tests.factories import UserFactory

    return UserFactory(username="checklist-admin", is_superuser=True)
