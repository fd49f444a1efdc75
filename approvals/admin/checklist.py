"""Admin for the approval checklist: items, the catalogue, the holiday calendar."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.admin.at_scale import (
    DateRangeFilter,
    SearchedByProject,
    SeenZonesFilter,
    shared_choices,
)
from approvals.admin.base import (
    ChangeList,
    HistoryAdmin,
    MergesMeanwhile,
    ModelAdmin,
    ReadOnlyRecordInline,
    RecordInline,
)
from approvals.admin.colour_filters import ItemColourFilter
from approvals.admin.imports import SpreadsheetImportViews
from approvals.admin.transitions import TransitionAdminMixin
from approvals.cases.colours import ItemColours, badge
from approvals.jobs import services as jobs
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    CalendarDay,
    ImportKind,
    ItemModeChange,
    ItemStatusChange,
    JobKind,
    Mode,
)
from approvals.stages import workflow


class ApprovalItemForm(MergesMeanwhile):
    """An item's editable facts. A change of its mode goes through ``workflow.item_set_mode``
    (recorded, with a reason for 不涉及 and 统一服务); the other fields save as usual. What was
    recorded after the page was opened (an approval table's mode or document number, another
    person's save) is merged, not written back (``MergesMeanwhile``): on the item's page and on
    the project's checklist tab alike."""

    mode_reason = forms.CharField(
        label=_("reason for the mode"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 16}),
        help_text=_("Required when marking an item not applicable or served by the zone."),
    )

    class Meta:
        model = ApprovalItem
        fields = ("mode", "extended", "document_number", "officer", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        officer = self.fields.get("officer")
        if officer is not None and self.instance.project_id:
            project = self.instance.project  # the page's project, shared by a checklist's rows
            shared_choices(
                officer,
                project,
                "officer",
                lambda: permissions.officer_choices({project.zone_id}),
                # someone who has left the role since stays selectable
                current=self.instance.officer if self.instance.officer_id else None,
            )

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("mode")
        if (cleaned.get("mode_reason") or "").strip() and "mode" not in self.changed_data:
            self.add_error(
                "mode_reason",
                gettext(
                    "A reason is recorded only with a change of mode: change the mode, or leave "
                    "the reason empty."
                ),
            )
        if "mode" in self.changed_data and workflow.mode_reason_missing(
            mode, cleaned.get("mode_reason", "")
        ):
            self.add_error(
                "mode_reason",
                gettext("A reason is required to mark an item “%(mode)s”.")
                % {"mode": Mode(mode).label},
            )
        return cleaned


def save_item(request, form: ApprovalItemForm) -> None:
    """Save an item form: its mode through the recorded service, the rest as it is."""
    item = form.instance
    if "mode" in form.changed_data:
        new_mode = item.mode
        item.mode = form.initial["mode"]
        if set(form.changed_data) - {"mode", "mode_reason"}:
            item.save()
        workflow.item_set_mode(
            item, new_mode, by=request.user, reason=form.cleaned_data.get("mode_reason", "")
        )
    elif set(form.changed_data) - {"mode_reason"}:
        item.save()


class HandlerFilter(admin.SimpleListFilter):
    """The items one handles (经办), by the rule the reminders follow."""

    title = _("handled by")
    parameter_name = "handler"

    def lookups(self, request, model_admin):
        return [("me", _("Me"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.handled_by(request.user)
        return queryset


class ApprovalItemChangeList(ChangeList):
    """Works out each listed item's colour and working days left with one calendar read."""

    def get_results(self, request) -> None:
        super().get_results(request)
        today = timezone.localdate()
        calendar = CalendarDay.objects.calendar()
        bounds = ItemColours.on(today, calendar)
        for item in self.result_list:
            item.colour_now = bounds.colour(item)
            item.working_days_left = (
                calendar.working_days_between(today, item.deadline) if item.colour_now else None
            )


class ItemStatusChangeInline(ReadOnlyRecordInline):
    model = ItemStatusChange
    verbose_name_plural = _("status history")


class ItemModeChangeInline(RecordInline):
    model = ItemModeChange
    verbose_name_plural = _("mode history")
    fields = ("at_local", "source", "target", "why", "by_name")
    readonly_fields = fields

    @admin.display(description=_("reason"))
    def why(self, obj: ItemModeChange) -> str:
        return obj.why


def recount_notice(model_admin, request) -> None:
    """While the worker recounts deadlines, pages that show them say so, with its progress."""
    job = jobs.unfinished(JobKind.RECOUNT_DEADLINES)
    if job is None:
        return
    if job.total:
        text = gettext(
            "The holiday calendar changed: the worker is recounting the deadlines (%(done)d of "
            "%(total)d). Reload the page to see the new ones."
        ) % {"done": job.done, "total": job.total}
    else:
        text = gettext(
            "The holiday calendar changed: the deadlines are being recounted by the worker. "
            "Reload the page in a moment to see the new ones."
        )
    model_admin.message_user(request, text, messages.INFO)


@admin.register(ApprovalItem)
class ApprovalItemAdmin(
    SearchedByProject, SpreadsheetImportViews, TransitionAdminMixin, HistoryAdmin
):
    class Media:
        css = {"all": ["approvals/admin.css"]}

    change_form_template = "admin/approvals/approvalitem/change_form.html"
    change_list_template = "admin/approvals/approvalitem/change_list.html"
    import_kind = ImportKind.APPROVAL_TABLE
    import_title = _("Import an approval progress table")
    list_display = (
        "approval_type",
        "project",
        "zone",
        "agency",
        "mode",
        "status",
        "accepted_on",
        "deadline",
        "days_left",
        "colour",
    )
    list_filter = (
        ("project__zone", SeenZonesFilter),
        ("approval_type__agency", admin.AllValuesFieldListFilter),
        "status",
        "mode",
        ItemColourFilter,
        HandlerFilter,
        "approval_type__before_works",
    )
    search_fields = (
        "project__name_key__matches",
        "project__code",
        "approval_type__name",
        "approval_type__code",
        "document_number",
    )
    list_select_related = ("project__zone", "approval_type")
    # The zone, the agency, the mode and the status are filtered, not sorted (issue 21)
    sortable_by = ("approval_type", "project", "accepted_on", "deadline")
    # By project and type: the unique constraint's index serves it, where the model's ordering
    # went through the project's zone name and name and sorted every item.
    ordering = ("project_id", "approval_type_id")
    fields = (
        "project_link",
        "approval_type",
        "mode",
        "mode_reason",
        "status",
        "accepted_on",
        "is_provisional",
        "supplement_due",
        "extended",
        "deadline",
        "approved_on",
        "document_number",
        "outcome_reason",
        "officer",
        "notes",
    )
    form = ApprovalItemForm
    readonly_fields = (
        "project_link",
        "approval_type",
        "status",
        "accepted_on",
        "is_provisional",
        "supplement_due",
        "deadline",
        "approved_on",
        "outcome_reason",
    )
    inlines = [ItemStatusChangeInline, ItemModeChangeInline]

    @admin.display(description=_("project"))
    def project_link(self, obj: ApprovalItem) -> str:
        url = reverse("admin:approvals_project_change", args=[obj.project_id])
        return format_html('<a href="{}">{}</a>', url, obj.project)

    # The zone and the agency are filtered, not sorted: through a join, a sort read every
    # item (1.2–1.3 s at 840,000 items, issue 21).
    @admin.display(description=_("zone"))
    def zone(self, obj: ApprovalItem):
        return obj.project.zone

    @admin.display(description=_("agency"))
    def agency(self, obj: ApprovalItem) -> str:
        return obj.approval_type.agency

    @admin.display(description=_("working days left"))
    def days_left(self, obj: ApprovalItem) -> str:
        left = getattr(obj, "working_days_left", None)
        return "—" if left is None else str(left)

    @admin.display(description=_("colour"))
    def colour(self, obj: ApprovalItem) -> str:
        return badge(getattr(obj, "colour_now", None))

    def get_changelist(self, request, **kwargs):
        return ApprovalItemChangeList

    def save_model(self, request, obj, form, change) -> None:
        save_item(request, form)

    def changelist_view(self, request, extra_context=None):
        recount_notice(self, request)
        uncovered = (
            self.get_queryset(request)
            .running()
            .exclude(deadline_uncovered_years="")
            .order_by()  # the list's ordering would make each item distinct, sorted
            .values_list("deadline_uncovered_years", flat=True)
            .distinct()
        )
        years = sorted({year for row in uncovered for year in row.split(",")})
        if years:
            self.message_user(
                request,
                gettext(
                    "Some deadlines run into %(years)s, which the official calendar does not cover "
                    "yet and for which no holidays are entered: they count Monday to Friday there."
                )
                % {"years": "、".join(years)},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # mark it 不涉及 instead: its status history stays

    def has_add_permission(self, request) -> bool:
        return False  # items are added from the project page or by generating the checklist

    def has_change_permission(self, request, obj: ApprovalItem | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return permissions.may_edit_item(request.user, obj)

    def get_fields(self, request, obj: ApprovalItem | None = None):
        # The reason goes with a change of mode: a person who may change nothing is not shown
        # an empty box (Django would label it from its name, "Mode reason").
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            fields = [f for f in fields if f != "mode_reason"]
        return fields


@admin.register(ApprovalType)
class ApprovalTypeAdmin(ModelAdmin):
    list_display = (
        "code",
        "name",
        "group",
        "agency",
        "default_mode",
        "committable",
        "time_limit",
        "limit_unit",
        "extension",
        "before_works",
        "is_active",
    )
    list_filter = ("group", "default_mode", "before_works", "is_active")
    search_fields = ("code", "name", "short_names", "agency")
    ordering = ("sort_order", "code")


@admin.register(CalendarDay)
class CalendarDayAdmin(ModelAdmin):
    list_display = ("day", "kind", "name")
    list_filter = ("kind", ("day", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        self._recounting(request)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        self._recounting(request)

    def delete_queryset(self, request, queryset) -> None:
        for day in queryset:  # one signal each, so that the recount is queued
            day.delete()
        self._recounting(request)

    def _recounting(self, request) -> None:
        self.message_user(
            request,
            gettext(
                "The deadlines counted across this day are being recounted by the worker; the "
                "items list shows the progress."
            ),
            messages.INFO,
        )

    def changelist_view(self, request, extra_context=None):
        recount_notice(self, request)
        calendar = CalendarDay.objects.calendar()
        year = timezone.localdate().year
        for later in (year, year + 1):
            if not calendar.covers(later):
                self.message_user(
                    request,
                    gettext(
                        "The official calendar does not cover %(year)s yet and no days are "
                        "entered for it: deadlines there count Monday to Friday."
                    )
                    % {"year": later},
                    messages.WARNING,
                )
        return super().changelist_view(request, extra_context)
