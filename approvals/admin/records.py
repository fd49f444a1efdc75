"""The audit records of stage, status and mode changes: readable, never writable here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.admin.at_scale import DateRangeFilter, SearchedByProject
from approvals.admin.base import ModelAdmin, NeverWritten, ReadOnlyRecordAdmin, WhoAndWhen
from approvals.models import ApprovalItem, ItemModeChange, ItemStatusChange, Project, StageChange


def _link(url_name: str, obj) -> str:
    # The record is visible only with its subject, so the subject's page always opens.
    return format_html('<a href="{}">{}</a>', reverse(url_name, args=[obj.pk]), obj)


@admin.register(StageChange)
class StageChangeAdmin(SearchedByProject, ReadOnlyRecordAdmin):
    subject_model = Project
    search_fields = ("project__name_key__matches", "project__code", "comment")
    list_select_related = ("project", "by", "request__project")
    list_display = (*ReadOnlyRecordAdmin.list_display, "request")
    sortable_by = (*ReadOnlyRecordAdmin.sortable_by, "request")
    fields = (*ReadOnlyRecordAdmin.fields, "request_link")
    readonly_fields = fields

    @admin.display(description=_("project"), ordering="project")  # its own key
    def subject(self, obj: StageChange):
        return obj.project

    @admin.display(description=_("project"))
    def subject_link(self, obj: StageChange) -> str:
        return _link("admin:approvals_project_change", obj.project)

    @admin.display(description=_("stage request"))
    def request_link(self, obj: StageChange) -> str:
        return _link("admin:approvals_stagerequest_change", obj.request) if obj.request else "—"

    def get_queryset(self, request):
        return permissions.scope(super().get_queryset(request), request.user, path="project__")


@admin.register(ItemStatusChange)
class ItemStatusChangeAdmin(ReadOnlyRecordAdmin):
    subject_model = ApprovalItem
    search_fields = ("item__project__name_key__matches", "item__approval_type__name", "comment")
    list_select_related = ("item__project", "item__approval_type", "by")

    @admin.display(description=_("approval item"), ordering="item")  # its own key
    def subject(self, obj: ItemStatusChange):
        return obj.item

    @admin.display(description=_("approval item"))
    def subject_link(self, obj: ItemStatusChange) -> str:
        return _link("admin:approvals_approvalitem_change", obj.item)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return permissions.scope(queryset, request.user, path="item__project__")


@admin.register(ItemModeChange)
class ItemModeChangeAdmin(NeverWritten, WhoAndWhen, ModelAdmin):
    """Who marked which item 承诺 / 统一服务 / 不涉及, when and why."""

    list_display = ("at_local", "item", "source", "target", "origin", "reason", "by_name")
    sortable_by = ("at_local", "item")  # the rest filtered or searched (issue 21)
    list_filter = ("target", "origin", ("at", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied
    search_fields = ("item__project__name_key__matches", "item__approval_type__name", "reason")
    list_select_related = ("item__project", "item__approval_type", "by")
    fields = ("at_local", "item_link", "source", "target", "origin", "reason", "by_name")
    readonly_fields = fields

    @admin.display(description=_("approval item"))
    def item_link(self, obj: ItemModeChange) -> str:
        return _link("admin:approvals_approvalitem_change", obj.item)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return permissions.scope(queryset, request.user, path="item__project__")
