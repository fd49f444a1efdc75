"""The rest of a project's case on its page: the task plan (倒排工期) with each node's colour,
the monthly figures (月调度, whose year-to-date investment never decreases within a year: the
model's ``clean`` says so on the field), and the factor needs (要素保障); and the white list
(要素保障白名单), each factor requested, secured and missing, worked out for the shown page."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Sum
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approvals.access import permissions
from approvals.admin.at_scale import PageColumns, ParentKnownInline, SeenZonesFilter
from approvals.admin.base import MergesMeanwhile, ModelAdmin, TabularInline
from approvals.cases.colours import MilestoneColours, badge, task_node_colour
from approvals.core import units
from approvals.models import Factor, FactorNeed, MonthlyProgress, TaskNode, WhiteListProject


class ProjectRowsInline(ParentKnownInline, TabularInline):
    """Rows of a project that its caseworkers keep: each permission asked of the project; a
    row saved meanwhile is merged, not written back (``MergesMeanwhile``)."""

    extra = 0
    form = MergesMeanwhile

    def _perm(self, action: str) -> str:
        return f"{self.opts.app_label}.{action}_{self.opts.model_name}"

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.has(request.user, self._perm("view"), obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return permissions.has(request.user, self._perm("add"), obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.has(request.user, self._perm("change"), obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.has(request.user, self._perm("delete"), obj)


class TaskNodeInline(ProjectRowsInline):
    model = TaskNode
    fields = ("name", "planned_date", "planned_month_only", "actual_date", "notes", "colour")
    readonly_fields = ("colour",)

    @cached_property
    def colours(self) -> MilestoneColours:
        """The thresholds, read once for the page's rows."""
        return MilestoneColours.on(timezone.localdate())

    @admin.display(description=_("colour"))
    def colour(self, obj: TaskNode) -> str:
        if not obj.pk:
            return ""
        if obj.actual_date is not None:
            return badge("green", str(pgettext_lazy("task node", "done")))
        return badge(task_node_colour(obj, self.colours))


class MonthlyProgressInline(ProjectRowsInline):
    model = MonthlyProgress
    fields = ("month", "annual_plan", "completed_month", "completed_year", "image_progress")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a month's figures are corrected, not removed: the year adds up from them


class FactorNeedInline(ProjectRowsInline):
    model = FactorNeed
    fields = ("factor", "requested", "secured", "missing_amount", "notes")
    readonly_fields = ("missing_amount",)

    @admin.display(description=_("missing"))
    def missing_amount(self, obj: FactorNeed) -> str:
        if not obj.pk:
            return ""
        return number_format(obj.missing.normalize(), decimal_pos=None)


def save_monthly_progress(request, formset) -> None:
    """Monthly rows name who entered them and when; the rest saves as usual."""
    rows = formset.save(commit=False)
    for row in rows:
        row.updated_by = request.user
        row.updated_at = timezone.now()
        row.save()
    for row in formset.deleted_objects:
        row.delete()


# --- the white list (要素保障白名单) ------------------------------------------------------------

ZERO = Decimal("0")


class MissingFilter(admin.SimpleListFilter):
    title = _("factors")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [("yes", _("Something still missing")), ("no", _("Everything secured"))]

    def queryset(self, request, queryset):
        short = FactorNeed.objects.filter(project=OuterRef("pk"), secured__lt=F("requested"))
        if self.value() == "yes":
            return queryset.filter(Exists(short))
        if self.value() == "no":
            return queryset.exclude(Exists(short))
        return queryset


def _factor_column(factor: Factor):
    """A column per factor: requested / secured, and what is missing, from the annotations."""

    @admin.display(description=factor.label)
    def column(self, obj) -> str:
        requested = getattr(obj, f"{factor.value}_requested")
        secured = getattr(obj, f"{factor.value}_secured")
        if not requested and not secured:
            return "—"
        missing = max(requested - secured, Decimal("0"))
        shown = [number_format(v.normalize(), decimal_pos=None) for v in (requested, secured)]
        if not missing:
            return format_html("{} / {}", *shown)
        return format_html(
            '{} / {} <strong class="factor-missing" style="color:#c62828">{} {}</strong>',
            *shown,
            _("missing"),
            number_format(missing.normalize(), decimal_pos=None),
        )

    column.__name__ = f"factor_{factor.value}"
    return column


class WhiteListProjectAdmin(PageColumns, ModelAdmin):
    """Projects of 10亿元 or more with their factor needs: read here, kept on the project page."""

    list_display = (
        "project_link",
        "zone",
        "investment_yi",
        *(f"factor_{factor.value}" for factor in Factor),
    )
    list_display_links = None
    list_filter = (MissingFilter, ("zone", SeenZonesFilter))
    search_fields = ("name_key__matches", "code")
    list_select_related = ("zone",)
    ordering = ("-total_investment", "-id")

    @admin.display(description=_("project"), ordering="name")
    def project_link(self, obj: WhiteListProject) -> str:
        url = reverse("admin:approvals_project_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description=_("total investment (100m yuan)"), ordering="total_investment")
    def investment_yi(self, obj: WhiteListProject) -> str:
        return units.shown(obj.total_investment)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def page_columns(self, request: HttpRequest, rows: list[WhiteListProject]) -> None:
        """Each factor requested and secured, summed for the shown page's projects in one
        query: the twelve conditional SUMs in the list's query grouped every qualifying
        project before a page was taken (410–477 ms at 100,000 projects, issue 21)."""
        sums = {
            (row["project_id"], row["factor"]): row
            for row in FactorNeed.objects.filter(project__in=[p.pk for p in rows])
            .order_by()
            .values("project_id", "factor")
            .annotate(requested_sum=Sum("requested"), secured_sum=Sum("secured"))
        }
        for project in rows:
            for factor in Factor:
                row = sums.get((project.pk, factor.value), {})
                setattr(project, f"{factor.value}_requested", row.get("requested_sum") or ZERO)
                setattr(project, f"{factor.value}_secured", row.get("secured_sum") or ZERO)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a project joins the list by its investment

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # its needs are kept on the project page

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The project page holds the factor needs: one opens it from here, where one may."""
        project = self.get_object(request, object_id)
        if project is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, project):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:approvals_project_change", args=[project.pk]))


for _factor in Factor:
    setattr(WhiteListProjectAdmin, f"factor_{_factor.value}", _factor_column(_factor))
admin.site.register(WhiteListProject, WhiteListProjectAdmin)
