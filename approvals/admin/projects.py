"""Admin for projects: the list and the case page, where officers request stage changes and
generate the approval checklist (the views that do: ``project_actions``; the checklist and
stage history inlines: ``project_inlines``). Nothing here changes a stage: approvals do
(``workflow.decide``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminAutocompleteModelChoiceFieldWidget

from approvals.access import permissions
from approvals.admin.at_scale import (
    TRIGRAM,
    IndustryFilter,
    PageColumns,
    SeenZonesFilter,
    search_words,
)
from approvals.admin.base import HistoryAdmin, MergesMeanwhile, SafeAutocomplete, refuse_nul
from approvals.admin.case_tabs import CASE_TABS, case_tabs, loaded_later
from approvals.admin.casework import (
    FactorNeedInline,
    MonthlyProgressInline,
    TaskNodeInline,
    save_monthly_progress,
)
from approvals.admin.checklist import save_item
from approvals.admin.colour_filters import ProjectColourFilter
from approvals.admin.compliance import ComplianceFilter
from approvals.admin.imports import ProjectSpreadsheets
from approvals.admin.lateness import MilestoneInline, foreseen_delay, next_milestone_cell
from approvals.admin.project_actions import ProjectActions
from approvals.admin.project_inlines import ApprovalItemInline, StageChangeInline
from approvals.admin.requests import evidence_display
from approvals.cases.case_file import case_file
from approvals.cases.plausible import investment_doubt
from approvals.checklist import foresight
from approvals.checklist.services import settled_by_mode
from approvals.core import units
from approvals.models import (
    NEXT_STAGE,
    ApprovalItem,
    MonthlyProgress,
    Problem,
    Project,
    RequestStatus,
    ServiceRecord,
    Stage,
    StageRequest,
)
from approvals.stages import workflow
from approvals.stages.forms import RequestForm

#: Stage changes rarely asked for, folded on the project page below the usual next step: their
#: forms (a reason, a note, documents) took half a screen on every project's overview.
RARE_CHANGES = ("suspend", "withdraw")

#: A project's people fields and who may fill them (permissions: the role, in the zone).
PEOPLE_CHOICES = {"officer": permissions.officer_choices, "leader": permissions.leader_choices}


class ProjectForm(MergesMeanwhile):
    """The project form: a total investment no zone project has is refused (guide section 12;
    the bound and its message are ``plausible``'s, as for the list import). A save merges what
    was recorded after the page was opened (``MergesMeanwhile``)."""

    # No Meta: the admin builds the form for its fieldsets (modelform_factory).

    def clean_total_investment(self):
        value = self.cleaned_data.get("total_investment")
        doubt = investment_doubt(value, "万元")
        if doubt is not None and doubt.refused:
            raise forms.ValidationError(doubt.message, code="implausible")
        return value

    def clean(self):
        """A name another project of the zone has already, but for full-width characters or
        spaces ("（一期）" for "(一期)"), is that project: refused, naming it, as the lists find
        it (``Project.recorded_as``). A kept name stays editable: two may have been recorded
        before this check."""
        cleaned = super().clean()  # merged with what was recorded meanwhile first
        name = cleaned.get("name")
        if "zone" in self.fields:
            zone = cleaned.get("zone")
        else:
            zone = self.instance.zone if self.instance.zone_id else None
        kept = self.instance.pk is not None and not {"name", "zone"} & set(self.changed_data)
        if not name or zone is None or kept:
            return cleaned
        same = Project.recorded_as(zone.pk, name, other_than=self.instance.pk)
        if same is not None and same.name != name:  # the same name: the unique check says so
            self.add_error(
                "name",
                _("“%(name)s” is recorded in %(zone)s already as “%(recorded)s”.")
                % {"name": name, "zone": zone, "recorded": same.name},
            )
        return cleaned


class AwaitingDecisionFilter(admin.SimpleListFilter):
    """Projects with a stage request awaiting a decision, or without one."""

    title = _("request pending")
    parameter_name = "pending"

    def lookups(self, request, model_admin):
        return [("yes", _("awaiting decision")), ("no", _("no request pending"))]

    def queryset(self, request, queryset):
        pending = StageRequest.objects.pending().values("project_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=pending)
        if self.value() == "no":
            return queryset.exclude(pk__in=pending)
        return queryset


@admin.register(Project)
class ProjectAdmin(
    ProjectActions, PageColumns, ProjectSpreadsheets, SafeAutocomplete, HistoryAdmin
):
    class Media:
        css = {"all": ["approvals/admin.css", "approvals/panels.css"]}
        js = ["approvals/case_tabs.js"]  # a tab's inlines, wired when fetched

    form = ProjectForm
    compressed_fields = False  # labels above their fields, several fields a row: it fits
    change_form_template = "admin/approvals/project/change_form.html"
    import_export_change_list_template = "admin/approvals/project/change_list.html"
    list_display = (
        "name",
        "code",
        "zone_shown",
        "enterprise_shown",
        "stage",
        "next_milestone",
        "investment_yi",
        "checklist_progress",
        "officer",
        "awaiting_decision",
    )
    list_filter = (
        ("zone", SeenZonesFilter),
        ProjectColourFilter,
        ComplianceFilter,
        AwaitingDecisionFilter,
        "stage",
        IndustryFilter,
        "authorisation",
        "is_provincial_key",
        "is_city_key",
        "is_standard_land",
        "is_commitment",
    )
    search_fields = ("name_key__matches", "code", "enterprise__name_key__matches")
    linked_lookups = (
        "officer__id__exact",
        "leader__id__exact",
        "officer__isnull",
        "stage__in",
    )  # 我的待办 (approvals/figures/todo.py)
    list_select_related = ("zone", "enterprise", "officer")
    # Newest first: the primary key's index gives any page, under any visibility filter, without
    # sorting the visible rows (zone name and name, through a join, sorted them all).
    ordering = ("-id",)
    autocomplete_fields = ("enterprise",)  # a select of every enterprise grows without end
    readonly_fields = (
        "stage",
        "start_blockers",
        "investment_yi",
        "code_format",
        "actual_annual_output",
    )
    inlines = [
        ApprovalItemInline,
        MilestoneInline,
        TaskNodeInline,
        MonthlyProgressInline,
        FactorNeedInline,
        StageChangeInline,
    ]
    # Rows of fields side by side (django-unfold draws a tuple as one row): the overview tab
    # fits on the first screens (guide section 12). Where each fieldset goes: ``case_tabs``.
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("name", "code", "code_format"),
                    ("zone", "enterprise", "officer", "leader"),
                    ("responsible_unit", "industry", "authorisation", "stage"),
                    (
                        "total_investment",
                        "investment_yi",
                        "expected_annual_output",
                        "actual_annual_output",
                    ),
                    (
                        "land_area_mu",
                        "is_provincial_key",
                        "is_city_key",
                        "is_standard_land",
                        "is_commitment",
                    ),
                    "content",
                    "start_blockers",
                )
            },
        ),
        (_("Progress"), {"fields": ("progress_as_of", "progress", "notes")}),
    )

    # Sorted by the key, which groups a zone's or an enterprise's projects: by the name, through
    # a join, PostgreSQL sorted every visible project (issue 21); the key's index reads a page.
    @admin.display(description=_("zone"), ordering="zone_id")
    def zone_shown(self, obj: Project):
        return obj.zone

    @admin.display(description=_("enterprise"), ordering="enterprise_id")
    def enterprise_shown(self, obj: Project):
        return obj.enterprise

    @admin.display(description=_("next milestone"), ordering="next_milestone_on")
    def next_milestone(self, obj: Project) -> str:
        return next_milestone_cell(obj)

    @admin.display(description=_("code format"))
    def code_format(self, obj: Project) -> str:
        generation = obj.code_generation
        return generation.label if generation else "—"

    @admin.display(description=_("total investment (100m yuan)"), ordering="total_investment")
    def investment_yi(self, obj: Project) -> str:
        return units.shown(obj.total_investment)

    @admin.display(description=_("open before works start"))
    def start_blockers(self, obj: Project) -> str:
        """Read once per page: the case file draws a read-only field more than once (unfold's
        field asks for its contents again), and each time read the items twice (issue 21:
        10 of the case file's 46 queries)."""
        shown = obj.__dict__.get("_start_blockers_shown")
        if shown is None:
            shown = obj.__dict__["_start_blockers_shown"] = self._start_blockers(obj)
        return shown

    def _start_blockers(self, obj: Project) -> str:
        if obj.pk is None:
            return "—"
        if obj.stage not in (Stage.RESERVE, Stage.SIGNED, Stage.READY):
            return gettext("None: the project is past the start of works.")
        if not obj.approval_items.exists():
            return gettext("No checklist yet: the project cannot be ready to start.")
        blockers = list(obj.start_blockers())
        if not blockers:
            return gettext("None: every item needed before works is settled.")
        return format_html(
            '<ul class="start-blockers">{}</ul>',
            format_html_join(
                "",
                "<li>{} {}（{}）</li>",
                (
                    (i.approval_type.code, i.approval_type.name, i.get_status_display())
                    for i in blockers
                ),
            ),
        )

    @admin.display(description=_("approval checklist"))
    def checklist_progress(self, obj: Project) -> str:
        """Its items by kind (worked out for the page: ``page_columns``)."""
        progress = getattr(obj, "checklist_kinds", None)
        return str(progress) if progress is not None and progress.total else "—"

    # Filtered (``AwaitingDecisionFilter``), not sorted: a sort joined every visible project
    # to the pending requests (326 ms at 100,000 projects, issue 21); the filter reads the few
    # pending requests off their index. Shown, it is read for the page only (``page_columns``).
    @admin.display(description=_("request pending"), empty_value="")
    def awaiting_decision(self, obj: Project) -> str | None:
        if not obj.has_pending_request:
            return None  # blank: nothing is wrong with a project nobody asked anything for
        return format_html('<span class="awaiting">{}</span>', gettext("awaiting decision"))

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        """On a save of the page (in its transaction), the project as the last writer to hold
        it committed it: its row is locked, then read again. An import writing the project
        holds the row until it commits; the page waits for it, and its checks (a milestone
        per stage, a name in a zone) then see what the import wrote, instead of meeting it
        at the insert with a server error. (SQLite has one writer at a time: no lock there.)"""
        obj = super().get_object(request, object_id, from_field)
        if obj is None or request.method != "POST" or not connection.in_atomic_block:
            return obj
        locked = Project.objects.select_for_update(of=("self",)).filter(pk=obj.pk)
        list(locked.values_list("pk", flat=True))
        return super().get_object(request, object_id, from_field)

    def page_columns(self, request: HttpRequest, rows: list[Project]) -> None:
        """The next milestone from the stored date, which projects of the page await a
        decision and their checklists' progress by kind, in two queries for the page."""
        ids = [p.pk for p in rows]
        pending = set(
            StageRequest.objects.pending()
            .filter(project__in=ids)
            .values_list("project_id", flat=True)
        )
        progress = ApprovalItem.objects.filter(project__in=ids).progress_by_project()
        for project in rows:
            project.checklist_kinds = progress.get(project.pk)
            project.next_milestone_stage = NEXT_STAGE.get(project.stage, "")
            project.next_milestone_date = project.next_milestone_on
            project.has_pending_request = project.pk in pending

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """Words of three characters or more: each word's matches as a union of three index
        reads (``named_like``: the trigram indexes of the name as matched, the code and the
        enterprise's name as matched on PostgreSQL), the same rows as Django's OR of LIKEs over
        a join, which reads every row. Shorter words, which no trigram serves, go Django's way
        on a list that reads one page only (``FewCounts``)."""
        refuse_nul(search_term)
        words = search_words(search_term)
        if not words or any(len(word) < TRIGRAM for word in words):
            return super().get_search_results(request, queryset, search_term)
        for word in words:
            queryset = queryset.filter(pk__in=Project.objects.named_like(word))
        return queryset, False

    def has_delete_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        return False  # a project leaves by being withdrawn; deleting it would erase its record

    def save_model(self, request, obj: Project, form, change: bool) -> None:
        obj._changed_by = request.user  # the record of its creation names who created it
        super().save_model(request, obj, form, change)
        if "total_investment" in form.changed_data:  # an unlikely figure, saved: said once
            doubt = investment_doubt(obj.total_investment, "万元")
            if doubt is not None:
                self.message_user(request, doubt.message, messages.WARNING)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        foresight.refresh([form.instance.pk])  # its plans or its checklist may have changed

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is MonthlyProgress:
            return save_monthly_progress(request, formset)
        if formset.model is not ApprovalItem:
            return super().save_formset(request, form, formset, change)
        # Like formset.save(), which the change message reads, but each item through save_item:
        # a change of mode is a recorded act, not a field write.
        formset.new_objects, formset.deleted_objects, formset.changed_objects = [], [], []
        for item_form in formset.initial_forms:
            if item_form.has_changed():
                save_item(request, item_form)
                formset.changed_objects.append((item_form.instance, item_form.changed_data))
        return None

    def has_change_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return permissions.may_edit(request.user, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        fields = form.base_fields
        for name in ("content", "progress", "notes"):  # three lines, not ten: the page fits
            if name in fields and isinstance(fields[name].widget, forms.Textarea):
                fields[name].widget.attrs["rows"] = 3
        zones = permissions.choice_zones(request.user, obj)
        if "zone" in fields:
            fields["zone"].queryset = permissions.casework_zones(request.user)
            fields["zone"].required = not permissions.is_administrator(request.user)
        for name in PEOPLE_CHOICES:
            if name in fields:
                # An autocomplete asking people_view, which offers what the queryset holds:
                # the select drew every choice, and the page only needs the chosen one.
                url = reverse("admin:approvals_project_people", args=[name])
                widget = UnfoldAdminAutocompleteModelChoiceFieldWidget(
                    attrs={"data-ajax--url": f"{url}?project={obj.pk}" if obj else url}
                )
                widget.is_required = fields[name].required
                fields[name].widget = widget
                fields[name].queryset = self._people(name, zones, obj)
        return form

    @staticmethod
    def _people(name: str, zones: set[int] | None, project: Project | None):
        """Who may be the project's officer or leader: people of that role in ``zones``."""
        people = PEOPLE_CHOICES[name](zones)
        current = getattr(project, f"{name}_id", None)
        if current:  # someone who has left the role since stays selectable
            people = people | people.model.objects.filter(pk=current)
        return people.distinct()

    def people_view(self, request: HttpRequest, name: str) -> JsonResponse:
        """The officer and leader autocompletes: the people the form accepts, by name."""
        if name not in PEOPLE_CHOICES:
            raise Http404
        project = None
        if request.GET.get("project"):
            project = self.get_object(request, request.GET["project"])
            if project is None:
                raise Http404
            if not permissions.may_edit(request.user, project):
                raise PermissionDenied
        elif not self.has_add_permission(request):
            raise PermissionDenied
        people = self._people(name, permissions.choice_zones(request.user, project), project)
        term = request.GET.get("term", "").strip()
        refuse_nul(term)
        if term:
            people = people.filter(
                Q(username__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
            )
        page = Paginator(people.order_by("username"), 20).get_page(request.GET.get("page"))
        return JsonResponse(
            {
                "results": [{"id": str(p.pk), "text": str(p)} for p in page.object_list],
                "pagination": {"more": page.has_next()},
            }
        )

    def get_urls(self):
        return [
            path(
                "people/<str:name>/",
                self.admin_site.admin_view(self.people_view),
                name="approvals_project_people",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """A project's page in tabs (``case_tabs``); a new project's form is one page."""
        if change and obj is not None:
            tabs = case_tabs(context["adminform"], context["inline_admin_formsets"])
            context["case_tabs"] = tabs
            context["case_tab_open"] = next(t.key for t in tabs if t.active)
            wanted = _tab_wanted(request, tabs)
            if wanted is not None:
                # one tab's inlines, fetched by the page when the tab is first opened
                context["case_tab"] = wanted
                response = super().render_change_form(request, context, add, change, form_url, obj)
                response.template_name = "admin/approvals/project/case_tab.html"
                return response
            if request.method == "GET":
                loaded_later(tabs)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        """On a GET, an inline's rows are read and made into forms only when its tab's inlines
        are what is asked for (``?case_tab=``): the page draws every other tab's inlines later,
        keeping only their management forms (``loaded_later``), and a tab's fetch draws its own.
        Built for nothing (each row's form deep-copies its fields), they took the items tab
        from 140 to 175 ms and the page from 94 to 112 ms at 100,000 projects (benchmarks/README.md
        section 21)."""
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and obj is not None:
            wanted = _tab_of(request.GET.get(CASE_TAB))
            if wanted is None or inline.model._meta.model_name not in wanted.inline_models:
                kwargs["queryset"] = inline.get_queryset(request).none()
        return kwargs

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and request.GET.get(CASE_TAB):
            # a tab's inlines only (render_change_form): none of the page's header
            return super().change_view(request, object_id, form_url, extra_context)
        project = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if project is not None:
            user = request.user
            extra_context["can_generate_checklist"] = permissions.may_generate_checklist(
                user, project
            )
            extra_context["transition_options"] = [
                (
                    option,
                    RequestForm(
                        evidence=option.evidence,
                        prefix=option.name,
                        ask_reason=option.documents_required,
                    ),
                )
                for option in workflow.request_options(project, user)
            ]
            options = [option for option, _form in extra_context["transition_options"]]
            folded = [o.label for o in options if o.allowed and o.name in RARE_CHANGES]
            extra_context["folded_transitions"] = RARE_CHANGES
            extra_context["folded_shown"] = (
                gettext("Other changes: %(changes)s") % {"changes": "、".join(folded)}
                if folded
                else ""
            )
            extra_context["fold_blocked"] = any(
                o.allowed and o.name not in RARE_CHANGES for o in options
            )
            extra_context["transition_url_name"] = "admin:approvals_project_request"
            extra_context["state_label"] = project.get_stage_display()
            extra_context["foreseen_delay"] = foreseen_delay(project)
            extra_context["case"] = case_file(project)
            pages = self.admin_site.get_model_admin
            extra_context["may_add_problem"] = pages(Problem).has_add_permission(request)
            extra_context["may_add_service_record"] = pages(ServiceRecord).has_add_permission(
                request
            )
            pending = project.stage_requests.pending().select_related("requested_by").first()
            extra_context["pending_request"] = pending
            if pending is None:  # tell the officer why the last request was turned down
                last = project.stage_requests.exclude(decided_at=None).order_by("-decided_at")
                last = last.select_related("decided_by").first()
                if last is not None and last.status == RequestStatus.REJECTED:
                    extra_context["last_rejection"] = last
            if pending is not None:
                pending.project = project
                extra_context["pending_evidence"] = evidence_display(pending)
                extra_context["may_decide_pending"] = permissions.may_decide(user, pending)
                extra_context["may_cancel_pending"] = permissions.may_cancel(user, pending)
                if pending.transition == "mark_ready":
                    extra_context["settled_by_mode"] = settled_by_mode(project)
        return super().change_view(request, object_id, form_url, extra_context)


#: The query parameter of a project's page that asks for one tab's inlines.
CASE_TAB = "case_tab"


def _tab_of(key: str | None):
    """The tab (``case_tabs.CASE_TABS``) of a ``?case_tab=`` key, or None."""
    return next((t for t in CASE_TABS if t.key == key), None) if key else None


def _tab_wanted(request, tabs):
    """The tab whose inlines alone a GET of the page asks for (``?case_tab=<key>``), or None."""
    if request.method != "GET":
        return None
    key = request.GET.get(CASE_TAB)
    return next((t for t in tabs if t.key == key and t.inlines), None) if key else None
