"""Admin for stage requests: the supervisors' 待审批 queue, decisions one by one or several at
once (each checked on its own), cancelling by the requester, and the evidence documents; and the
documents each stage change needs, kept by the administrators."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from approvals.access import permissions
from approvals.admin.at_scale import DateRangeFilter, SearchedByProject, SeenZonesFilter
from approvals.admin.base import ModelAdmin, person
from approvals.audit import services as audit
from approvals.checklist.services import SettledByMode, settled_by_mode, settled_by_mode_of
from approvals.core.display import local_time, sentences
from approvals.models import (
    AuditKind,
    EvidenceRequirement,
    Project,
    StageRequest,
    TransitionRefused,
)
from approvals.stages import catch_up, workflow
from approvals.stages.forms import TransitionForm, form_errors


def evidence_display(stage_request: StageRequest) -> list[tuple[str, str]]:
    """The evidence as (label, value) pairs, labelled as the request form labels them."""
    form = TransitionForm(evidence=workflow.evidence_names(stage_request.transition))
    return [
        (str(form.fields[name].label), str(value))
        for name, value in stage_request.evidence.items()
        if name in form.fields and value not in (None, "", False)
    ]


def attachment_url(stage_request: StageRequest, attachment) -> str:
    """A document's address: served only to those who see the request (``attachment_view``)."""
    return reverse(
        "admin:approvals_stagerequest_attachment", args=[stage_request.pk, attachment.pk]
    )


@dataclass(frozen=True)
class RequestToDecide:
    """One request as the page deciding several at once shows it."""

    pk: int
    title: str
    requested_by: str
    requested_at: str
    status: str
    evidence: list[tuple[str, str]]  # the change's dates and figures, labelled
    documents: list[tuple[str, str]]  # (address, name) of each attached document
    documents_missing_reason: str  # 容缺: why it goes without the documents
    settled: list[SettledByMode] | None  # for 具备开工条件: items settled by their mode
    list_facts: catch_up.FromList | None  # a request from a list: what it rests on


def requests_to_decide(queryset) -> list[RequestToDecide]:
    """The requests chosen, with what a supervisor reads before deciding them: in a fixed
    number of queries however many are chosen (the caller's queryset is already the scope of
    the request pages)."""
    requests = list(
        queryset.select_related(
            "project", "requested_by", "batch_entry__batch", "spreadsheet_import"
        ).prefetch_related("attachments")
    )
    settled = settled_by_mode_of(r.project_id for r in requests if r.transition == "mark_ready")
    return [
        RequestToDecide(
            pk=r.pk,
            title=str(r),
            requested_by=person(r.requested_by),
            requested_at=local_time(r.requested_at),
            status=r.get_status_display(),
            evidence=evidence_display(r),
            documents=[(attachment_url(r, a), a.name) for a in r.attachments.all()],
            documents_missing_reason=r.documents_missing_reason,
            settled=settled.get(r.project_id, []) if r.transition == "mark_ready" else None,
            list_facts=catch_up.from_list(r),
        )
        for r in requests
    ]


class AwaitingFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("awaiting", _("Awaiting my decision")), ("mine", _("Asked by me"))]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(pk__in=StageRequest.objects.awaiting(request.user).values("pk"))
        if self.value() == "mine":
            return queryset.filter(requested_by=request.user)
        return queryset


class DecisionForm(forms.Form):
    """A decision: approve or reject, and a comment, which a rejection needs (the officer must
    know what to fix). For several requests at once the action says which, and the form only
    takes the comment."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    comment = forms.CharField(
        label=_("decision comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args, approve: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = approve
        if approve is not None:
            del self.fields["decision"]

    @property
    def approve(self) -> bool:
        if self.fixed is not None:
            return self.fixed
        return self.cleaned_data["decision"] == "approve"

    def clean(self):
        cleaned = super().clean()
        if "decision" in self.fields and "decision" not in cleaned:
            return cleaned  # the missing choice is reported on its field
        if not self.approve and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("A rejection needs a reason: say what is to be fixed."))
        return cleaned


@admin.register(StageRequest)
class StageRequestAdmin(SearchedByProject, ModelAdmin):
    class Media:
        css = {"all": ["approvals/admin.css"]}

    change_form_template = "admin/approvals/stagerequest/change_form.html"
    list_display = (
        "project",
        "zone",
        "requested_change",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decision_comment",
    )
    list_filter = (
        AwaitingFilter,
        "status",
        "kind",
        ("project__zone", SeenZonesFilter),
        "transition",
        ("requested_at", DateRangeFilter),
    )
    list_filter_submit = True  # unfold: the days are typed, then applied
    search_fields = ("project__name_key__matches", "project__code", "note", "decision_comment")
    sortable_by = (  # the comment is searched, not sorted (issue 21)
        "project",
        "requested_change",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
    )
    list_select_related = ("project__zone", "requested_by", "decided_by")
    actions = ["approve_selected", "reject_selected"]
    fields = (
        "project_link",
        "requested_change",
        "evidence_list",
        "note",
        "attachment_links",
        "documents_missing_reason",
        "requested_by_name",
        "requested_at",
        "status",
        "decided_by_name",
        "decided_at",
        "decision_comment",
        "resulting_change",
    )
    readonly_fields = fields

    @admin.display(description=_("project"))
    def project_link(self, obj: StageRequest) -> str:
        # Whoever sees the request sees its project: the link always opens.
        url = reverse("admin:approvals_project_change", args=[obj.project_id])
        return format_html('<a href="{}">{}</a>', url, obj.project)

    @admin.display(description=_("requested by"))
    def requested_by_name(self, obj: StageRequest) -> str:
        return person(obj.requested_by)

    @admin.display(description=_("decided by"))
    def decided_by_name(self, obj: StageRequest) -> str:
        return person(obj.decided_by)

    @admin.display(description=_("zone"))  # filtered, not sorted (a join, issue 21)
    def zone(self, obj: StageRequest):
        return obj.project.zone

    @admin.display(description=_("requested change"), ordering="transition")
    def requested_change(self, obj: StageRequest) -> str:
        return workflow.transition_label(Project, obj.transition)

    @admin.display(description=_("evidence"))
    def evidence_list(self, obj: StageRequest) -> str:
        pairs = evidence_display(obj)
        if not pairs:
            return "—"
        return format_html_join("", "<div><strong>{}</strong>：{}</div>", pairs)

    @admin.display(description=_("attachments"))
    def attachment_links(self, obj: StageRequest) -> str:
        attachments = list(obj.attachments.all())
        if not attachments:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}">{}</a></div>',
            ((attachment_url(obj, a), a.name) for a in attachments),
        )

    @admin.display(description=_("stage change"))
    def resulting_change(self, obj: StageRequest) -> str:
        change = obj.stage_changes.first()
        if change is None:
            return "—"
        return f"{change.get_source_display()} → {change.get_target_display()}（{local_time(change.at)}）"

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # asked for on the project page, with the evidence the change needs

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decided through the decision buttons, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return permissions.may_decide_somewhere(request.user)

    # --- deciding --------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/decide/",
                view(require_POST(self.decide_view)),
                name="approvals_stagerequest_decide",
            ),
            path(
                "<path:object_id>/cancel/",
                view(require_POST(self.cancel_view)),
                name="approvals_stagerequest_cancel",
            ),
            path(
                "<path:object_id>/list-file/",
                view(self.list_file_view),
                name="approvals_stagerequest_list_file",
            ),
            path(
                "<path:object_id>/attachment/<int:attachment_id>/",
                view(self.attachment_view),
                name="approvals_stagerequest_attachment",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stage_request = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if stage_request is not None and stage_request.transition == "mark_ready":
            extra_context["settled_by_mode"] = settled_by_mode(stage_request.project)
        if stage_request is not None and stage_request.from_list:
            extra_context["from_list"] = catch_up.from_list(stage_request)
        if stage_request is not None and stage_request.is_pending:
            user = request.user
            extra_context["may_decide"] = permissions.may_decide(user, stage_request)
            extra_context["may_cancel"] = permissions.may_cancel(user, stage_request)
        return super().change_view(request, object_id, form_url, extra_context)

    def _back(self, request: HttpRequest, stage_request: StageRequest) -> HttpResponseRedirect:
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("admin:approvals_stagerequest_change", args=[stage_request.pk])
        return HttpResponseRedirect(target)

    def decide_view(self, request: HttpRequest, object_id: str):
        stage_request = self.get_object(request, object_id)
        if stage_request is None:
            raise Http404
        form = DecisionForm(request.POST)
        if not form.is_valid():
            self.message_user(request, form_errors(form), messages.ERROR)
            return self._back(request, stage_request)
        approve = form.approve
        try:
            workflow.decide(
                stage_request,
                by=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except TransitionRefused as refused:
            self.message_user(request, sentences(refused.reasons), messages.ERROR)
        else:
            stage_request.project.refresh_from_db()
            self.message_user(
                request,
                (
                    gettext("Approved: “%(project)s” is now at “%(stage)s”.")
                    if approve
                    else gettext("Rejected: “%(project)s” stays at “%(stage)s”.")
                )
                % {
                    "project": stage_request.project,
                    "stage": stage_request.project.get_stage_display(),
                },
                messages.SUCCESS,
            )
        return self._back(request, stage_request)

    def cancel_view(self, request: HttpRequest, object_id: str):
        stage_request = self.get_object(request, object_id)
        if stage_request is None:
            raise Http404
        try:
            workflow.cancel_request(stage_request, by=request.user)
        except TransitionRefused as refused:
            self.message_user(request, sentences(refused.reasons), messages.ERROR)
        else:
            self.message_user(request, gettext("The request is cancelled."), messages.SUCCESS)
        return self._back(request, stage_request)

    def attachment_view(self, request: HttpRequest, object_id: str, attachment_id: int):
        """Evidence documents are served only to people who may see the request."""
        stage_request = self.get_object(request, object_id)
        if stage_request is None:
            raise Http404
        attachment = stage_request.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        # A document leaving the desk is an export of the security audit log (issue 17).
        project = stage_request.project
        audit.record(
            AuditKind.EXPORT,
            request=request,
            obj=attachment,
            project={"id": project.pk, "name": project.name},
            stage_request=stage_request.pk,
        )
        return FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.name
        )

    def list_file_view(self, request: HttpRequest, object_id: str):
        """The list a request from a list came from: served, like its documents, only to people
        who may see the request (the import's own page is not theirs)."""
        stage_request = self.get_object(request, object_id)
        record = stage_request and stage_request.spreadsheet_import
        if record is None or not record.file:
            raise Http404
        project = stage_request.project
        audit.record(
            AuditKind.EXPORT,
            request=request,
            obj=record,
            project={"id": project.pk, "name": project.name},
            stage_request=stage_request.pk,
        )
        return FileResponse(record.file.open("rb"), as_attachment=True, filename=record.file_name)

    # --- deciding several at once ------------------------------------------------------------

    def _decide_selected(self, request: HttpRequest, queryset, approve: bool):
        form = DecisionForm(request.POST if "apply" in request.POST else None, approve=approve)
        if not form.is_bound or not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Approve the selected requests")
                if approve
                else _("Reject the selected requests"),
                "requests": requests_to_decide(queryset),
                "form": form,
                "action": request.POST["action"],
                # Not "opts": django-unfold's header then names the page by its title.
                "model_opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/approvals/stagerequest/decide_selected.html", context
            )
        decisions = workflow.decide_many(
            queryset.order_by("pk"),
            by=request.user,
            approve=approve,
            comment=form.cleaned_data["comment"],
        )
        done = [d for d in decisions if d.done]
        failed = [d for d in decisions if not d.done]
        if done:
            self.message_user(
                request,
                ngettext("%(count)d request decided.", "%(count)d requests decided.", len(done))
                % {"count": len(done)},
                messages.SUCCESS,
            )
        for decision in failed:
            self.message_user(
                request,
                gettext("Not decided: %(request)s — %(why)s")
                % {"request": decision.stage_request, "why": decision.message},
                messages.ERROR,
            )
        return None

    @admin.action(description=_("Approve the selected requests"), permissions=["decide"])
    def approve_selected(self, request: HttpRequest, queryset):
        return self._decide_selected(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected requests"), permissions=["decide"])
    def reject_selected(self, request: HttpRequest, queryset):
        return self._decide_selected(request, queryset, approve=False)


# --- the documents each stage change needs --------------------------------------------------------


@admin.register(EvidenceRequirement)
class EvidenceRequirementAdmin(ModelAdmin):
    """Which documents each stage change needs, and whether a request goes without them only
    with a reason (容缺): the system administrator's configuration, one row per change
    (migration 0031 writes them; none is added or deleted here). The rule that reads it is
    ``workflow.request_transition``."""

    list_display = ("change", "documents", "required")
    list_display_links = ("change",)
    fields = ("change", "documents", "required")
    readonly_fields = ("change",)
    actions = None

    @admin.display(description=_("stage change"), ordering="transition")
    def change(self, obj: EvidenceRequirement) -> str:
        return workflow.transition_label(Project, obj.transition)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if form.changed_data:  # a rule of casework changed: the security audit log says so
            audit.record(
                AuditKind.CONFIGURATION,
                request=request,
                obj=obj,
                action="changed",
                changed={n: [form.initial.get(n), form.cleaned_data[n]] for n in form.changed_data},
            )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
