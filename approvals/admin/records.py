"""The audit records of stage and status changes: readable, never writable here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import ApprovalItem, ItemStatusChange, Project, StageChange
from .base import ReadOnlyRecordAdmin


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyRecordAdmin):
    subject_model = Project
    search_fields = ("project__name", "project__code", "comment")
    list_select_related = ("project", "by", "request__project")
    list_display = (*ReadOnlyRecordAdmin.list_display, "request")

    @admin.display(description=_("project"), ordering="project__name")
    def subject(self, obj: StageChange):
        return obj.project

    def get_queryset(self, request):
        visible = Project.objects.visible_to(request.user)
        return super().get_queryset(request).filter(project__in=visible)


@admin.register(ItemStatusChange)
class ItemStatusChangeAdmin(ReadOnlyRecordAdmin):
    subject_model = ApprovalItem
    search_fields = ("item__project__name", "item__approval_type__name", "comment")
    list_select_related = ("item__project", "item__approval_type", "by")

    @admin.display(description=_("approval item"))
    def subject(self, obj: ItemStatusChange):
        return obj.item

    def get_queryset(self, request):
        visible = Project.objects.visible_to(request.user)
        return super().get_queryset(request).filter(item__project__in=visible)
