"""What the project page asks for besides saving it: a stage change (requested here, decided
on the request page by a supervisor: ``workflow.request_transition``), and the approval
checklist generated from the catalogue, for one project (its page's button) or for those
chosen on the list (an action)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from approvals.access import permissions
from approvals.checklist.services import checklist_generate
from approvals.core.display import sentences
from approvals.models import Project, TransitionRefused
from approvals.stages import workflow
from approvals.stages.forms import RequestForm, form_errors


class ProjectActions:
    """For ``ProjectAdmin``: the request and generate views, their addresses, the list's
    action."""

    actions = ["generate_checklists"]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/generate-checklist/",
                self.admin_site.admin_view(require_POST(self.generate_checklist_view)),
                name="approvals_project_generate_checklist",
            ),
            path(
                "<path:object_id>/request/<str:name>/",
                self.admin_site.admin_view(require_POST(self.request_view)),
                name="approvals_project_request",
            ),
            *super().get_urls(),
        ]

    def has_generate_permission(self, request: HttpRequest) -> bool:
        return permissions.may_generate_somewhere(request.user)

    def _change_url(self, project: Project) -> str:
        return reverse("admin:approvals_project_change", args=[project.pk])

    def request_view(self, request: HttpRequest, object_id: str, name: str):
        """An officer asks for a stage change; a supervisor decides it on the request page."""
        project = self.get_object(request, object_id)
        if project is None or name not in Project.transition_names():
            raise Http404
        label = Project.transition_label(name)
        form = RequestForm(request.POST, evidence=workflow.evidence_names(name), prefix=name)
        if not form.is_valid():
            self.message_user(request, f"{label}: {form_errors(form)}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(project))
        try:
            workflow.request_transition(
                project,
                name,
                by=request.user,
                note=form.cleaned_data["comment"],
                attachments=request.FILES.getlist(f"{name}-attachments"),
                documents_missing_reason=form.cleaned_data["documents_missing_reason"],
                **form.evidence_data,
            )
        except TransitionRefused as refused:
            self.message_user(request, f"{label}: {sentences(refused.reasons)}", messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("“%(project)s”: %(change)s requested; a supervisor of the zone decides.")
                % {"project": project, "change": label},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(project))

    def _generate(self, request: HttpRequest, project: Project) -> str:
        result = checklist_generate(project=project, by=request.user)
        return ngettext(
            "“%(project)s”: %(count)d item added, %(kept)d kept as recorded.",
            "“%(project)s”: %(count)d items added, %(kept)d kept as recorded.",
            len(result.created),
        ) % {"project": project, "count": len(result.created), "kept": result.kept}

    def generate_checklist_view(self, request: HttpRequest, object_id: str):
        project = self.get_object(request, object_id)
        if project is None:
            raise Http404
        self.message_user(request, self._generate(request, project), messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(project))

    @admin.action(description=_("Generate the approval checklist"), permissions=["generate"])
    def generate_checklists(self, request: HttpRequest, queryset) -> None:
        refused = 0
        for project in queryset:
            try:
                self.message_user(request, self._generate(request, project), messages.SUCCESS)
            except PermissionDenied:
                refused += 1
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d project skipped: you may not edit its checklist.",
                    "%(count)d projects skipped: you may not edit their checklists.",
                    refused,
                )
                % {"count": refused},
                messages.ERROR,
            )
