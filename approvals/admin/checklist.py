"""Admin for the approval checklist: items, the catalogue, the holiday calendar."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..checklist import Colour, ColourBounds, colour_bounds
from ..models import ApprovalItem, ApprovalType, CalendarDay, ItemStatusChange
from ..transition_admin import TransitionAdminMixin
from ..workdays import WorkingCalendar
from .base import HistoryAdmin, ReadOnlyRecordInline


class ColourFilter(admin.SimpleListFilter):
    title = _("colour")
    parameter_name = "colour"

    def lookups(self, request, model_admin):
        return Colour.choices

    def queryset(self, request, queryset):
        if self.value() in Colour.values:
            return queryset.filter(colour_bounds(timezone.localdate()).filter(self.value()))
        return queryset


class ApprovalItemChangeList(ChangeList):
    """Works out each listed item's colour and working days left with one calendar read."""

    def get_results(self, request) -> None:
        super().get_results(request)
        today = timezone.localdate()
        calendar = WorkingCalendar.load()
        bounds = ColourBounds.on(today, calendar)
        for item in self.result_list:
            item.colour_now = bounds.colour(item)
            item.working_days_left = (
                calendar.working_days_between(today, item.deadline) if item.colour_now else None
            )


class ItemStatusChangeInline(ReadOnlyRecordInline):
    model = ItemStatusChange
    verbose_name_plural = _("status history")


@admin.register(ApprovalItem)
class ApprovalItemAdmin(TransitionAdminMixin, HistoryAdmin):
    class Media:
        css = {"all": ["approvals/admin.css"]}

    change_form_template = "admin/approvals/approvalitem/change_form.html"
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
        ("project__zone", admin.RelatedOnlyFieldListFilter),
        ("approval_type__agency", admin.AllValuesFieldListFilter),
        "status",
        "mode",
        ColourFilter,
        "approval_type__before_works",
    )
    search_fields = (
        "project__name",
        "project__code",
        "approval_type__name",
        "approval_type__code",
        "document_number",
    )
    list_select_related = ("project__zone", "approval_type")
    fields = (
        "project",
        "approval_type",
        "mode",
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
    readonly_fields = (
        "project",
        "approval_type",
        "status",
        "accepted_on",
        "is_provisional",
        "supplement_due",
        "deadline",
        "approved_on",
        "outcome_reason",
    )
    inlines = [ItemStatusChangeInline]

    @admin.display(description=_("zone"), ordering="project__zone__name")
    def zone(self, obj: ApprovalItem):
        return obj.project.zone

    @admin.display(description=_("agency"), ordering="approval_type__agency")
    def agency(self, obj: ApprovalItem) -> str:
        return obj.approval_type.agency

    @admin.display(description=_("working days left"))
    def days_left(self, obj: ApprovalItem) -> str:
        left = getattr(obj, "working_days_left", None)
        return "—" if left is None else str(left)

    @admin.display(description=_("colour"))
    def colour(self, obj: ApprovalItem) -> str:
        colour = getattr(obj, "colour_now", None)
        if colour is None:
            return "—"
        css = {"green": "#2e7d32", "yellow": "#b58900", "red": "#c62828"}[colour]
        return format_html('<strong style="color:{}">●</strong> {}', css, Colour(colour).label)

    def get_changelist(self, request, **kwargs):
        return ApprovalItemChangeList

    def changelist_view(self, request, extra_context=None):
        uncovered = (
            self.get_queryset(request)
            .running()
            .exclude(deadline_uncovered_years="")
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
        return request.user.has_perm("approvals.change_approvalitem", obj)


@admin.register(ApprovalType)
class ApprovalTypeAdmin(admin.ModelAdmin):
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
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("day", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "day"

    def changelist_view(self, request, extra_context=None):
        calendar = WorkingCalendar.load()
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
