"""Pieces the approvals admin pages share."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from zones.models import ZoneRole
from zones.roles import CASEWORK_ROLES

from .. import workflow


class ReadOnlyRecordInline(admin.TabularInline):
    """Transition records shown under their object: never added, changed or deleted here."""

    extra = 0

    class Media:
        css = {"all": ["approvals/admin.css"]}

    fields = ("at", "transition_label", "source", "target", "by", "comment")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("transition"))
    def transition_label(self, obj) -> str:
        return workflow.transition_label(self.parent_model, obj.transition)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def people_with_role(user, *roles: str):
    """Users holding one of ``roles`` in the zones where ``user`` does casework (all zones for
    a superuser): the choices for a project's officer or leader."""
    held = ZoneRole.objects.filter(role__in=roles)
    if not user.is_superuser:
        held = held.filter(zone__in=ZoneRole.objects.zone_ids(user, *CASEWORK_ROLES))
    # One condition on the same role row: a leader here who is an officer elsewhere is no officer here.
    return get_user_model().objects.filter(pk__in=held.values("user_id"))


class HistoryAdmin(SimpleHistoryAdmin):
    """Field history to read. The per-version page can save an old version, protected stage
    or status included, so it is closed to everyone; the list shows what changed."""

    object_history_list_template = "admin/approvals/history_list.html"

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise PermissionDenied


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """The audit records: readable, never writable through the admin."""

    list_display = ("at", "subject", "transition_label", "source", "target", "by", "comment")
    list_filter = ("target", "transition")
    date_hierarchy = "at"

    @admin.display(description=_("transition"))
    def transition_label(self, obj) -> str:
        return workflow.transition_label(self.subject_model, obj.transition)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
