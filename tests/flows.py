"""The way a stage changes, as the guide tells it: an officer asks, with the documents the change
needs, and a supervisor approves."""

from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import Project, StageRequest
from approvals.stages import workflow

#: A real PDF of no pages: what the evidence check accepts as a .pdf.
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def document(name: str = "投资协议.pdf") -> SimpleUploadedFile:
    """A document to attach to a request (a new upload each time: a saved one is consumed)."""
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def documents(name: str = "投资协议.pdf") -> list[SimpleUploadedFile]:
    """What ``request_transition(attachments=...)`` takes: the one document."""
    return [document(name)]


def move(
    project: Project,
    name: str,
    *,
    officer,
    supervisor,
    comment: str = "",
    attachments=None,
    **evidence,
) -> StageRequest:
    """Asked with a document unless ``attachments`` says otherwise (the changes that need
    documents are refused without one), then approved."""
    stage_request = workflow.request_transition(
        project,
        name,
        by=officer,
        note=comment,
        attachments=documents() if attachments is None else attachments,
        **evidence,
    )
    workflow.decide(stage_request, by=supervisor, approve=True, comment=comment)
    project.refresh_from_db()
    return stage_request


def administrator():
    """Somebody who may generate any project's checklist, for tests whose subject is not who."""
    from tests.factories import UserFactory

    return UserFactory(username="checklist-admin", is_superuser=True)
