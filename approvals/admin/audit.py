"""The security audit log's pages (安全审计): search and export, by the audit administrator only
(``permissions.may_read_audit``); everyone else — the security and system administrators, any
zone role — is refused (403). Nobody adds, changes or deletes a record here, superusers
included: no add, change or delete permission, no bulk action, no history form; the model
refuses too, and ``manage.py purge_audit`` is the one way rows go (after the retention period)."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.admin.at_scale import DateRangeFilter
from approvals.admin.base import ModelAdmin, refuse_nul
from approvals.audit import services as audit
from approvals.audit.models import AuditEvent, AuditKind, object_type_name
from approvals.core.display import local_time
from approvals.spreadsheets import writing

EXPORT_FORMATS = ("xlsx", "csv")


def _refuse_unless_auditor(request: HttpRequest) -> None:
    if not permissions.may_read_audit(request.user):
        raise PermissionDenied


def object_types() -> list[tuple[str, str]]:
    """The kinds of objects a record may name: the models of the registry (the rows keep
    their labels), by their names. Fixed choices: offering the labels the rows hold read
    all of them (SELECT DISTINCT over 1,000,000 events, issue 21) on every visit. Field
    histories (``simple_history``'s models, ``instance_type``) are records of their own."""
    labels = {
        model._meta.label
        for model in apps.get_models()
        if not hasattr(model, "instance_type") and not model._meta.auto_created
    }
    return sorted(((label, object_type_name(label)) for label in labels), key=lambda c: c[1])


class ObjectTypeFilter(admin.SimpleListFilter):
    """The kinds of objects the log names, by their models' names (the rows keep the label)."""

    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        return object_types()

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ModelAdmin):
    list_display = (
        "at_local",
        "kind",
        "username",
        "object_kind",
        "object_repr",
        "result",
        "source_address",
    )
    list_filter = ("kind", "result", ("at", DateRangeFilter), ObjectTypeFilter)
    # The object's name and the address are searched (trigram indexes), not sorted (issue 21).
    sortable_by = ("at_local", "kind", "username", "object_kind", "result")
    list_filter_submit = True  # unfold: the date range is typed, then applied
    # Each searched as icontains, which the trigram indexes of migration 0034 serve on
    # PostgreSQL; a user name typed exactly is looked up as it is (``get_search_results``).
    search_fields = ("username", "object_repr", "object_id", "source_address")
    fields = (
        "at_local",
        "kind",
        "user",
        "username",
        "object_kind",
        "object_id",
        "object_repr",
        "result",
        "source_address",
        "detail_shown",
    )
    readonly_fields = fields
    actions = None
    list_select_related = ("user",)
    change_list_template = "admin/approvals/auditevent/change_list.html"

    @admin.display(description=_("date and time"), ordering="at")
    def at_local(self, obj: AuditEvent) -> str:
        return local_time(obj.at)

    @admin.display(description=_("object type"), ordering="object_type")
    def object_kind(self, obj: AuditEvent) -> str:
        return obj.object_type_name

    @admin.display(description=_("detail"))
    def detail_shown(self, obj: AuditEvent) -> str:
        return obj.detail_text

    # --- who: the audit administrator reads; nobody writes --------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.may_read_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return permissions.may_read_audit(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):
        return {}

    def history_view(self, request, object_id, extra_context=None):
        raise PermissionDenied

    def get_search_results(self, request, queryset, search_term):
        """A user name typed exactly (the subject of some record): that person's records, by
        the index on ``username`` — the OR of four LIKEs read every row (1,549 ms at
        1,000,000 events, issue 21). Anything else: Django's search over the four columns."""
        refuse_nul(search_term)
        name = search_term.strip()
        if name and AuditEvent.objects.filter(username=name).exists():
            return queryset.filter(username=name), False
        return super().get_search_results(request, queryset, search_term)

    def changelist_view(self, request, extra_context=None):
        _refuse_unless_auditor(request)
        query = request.GET.urlencode()
        extra_context = {
            **(extra_context or {}),
            **{
                f"export_{fmt}": reverse("admin:approvals_auditevent_export", args=[fmt])
                + (f"?{query}" if query else "")
                for fmt in EXPORT_FORMATS
            },
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        _refuse_unless_auditor(request)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- export: the list as searched and filtered --------------------------------------------

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [
            path("export/<str:fmt>/", export, name="approvals_auditevent_export"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        _refuse_unless_auditor(request)
        if fmt not in EXPORT_FORMATS:
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        events = changelist.get_queryset(request).select_related(None).order_by("-at", "-id")
        table = writing.Table(
            title=gettext("security audit log"),
            headers=[
                gettext("date and time"),
                gettext("type"),
                gettext("subject"),
                gettext("object type"),
                gettext("object id"),
                gettext("object"),
                gettext("result"),
                gettext("source address"),
                gettext("detail"),
            ],
            rows=(
                [
                    local_time(e.at),
                    e.get_kind_display(),
                    e.username,
                    e.object_type_name,
                    e.object_id,
                    e.object_repr,
                    e.get_result_display(),
                    e.source_address or "",
                    e.detail_text,
                ]
                for e in events.iterator()
            ),
        )
        audit.record(
            AuditKind.EXPORT,
            request=request,
            obj=gettext("security audit log"),
            format=fmt,
            query=request.GET.urlencode(),
        )
        name = "audit-log"
        if fmt == "csv":
            response = HttpResponse(writing.csv_text(table), content_type="text/csv")
        else:
            response = HttpResponse(
                writing.xlsx([table]),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response
