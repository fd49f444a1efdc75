"""The project page's own inlines: the approval checklist (one row per approval type, its mode
set with a reason, each row opening the item's page) and the stage history. The inlines of
casework (task nodes, monthly progress, factor needs) and of milestones live with their pages
(``casework``, ``lateness``)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.admin.at_scale import ParentKnownInline
from approvals.admin.base import ReadOnlyRecordInline, TabularInline
from approvals.admin.checklist import ApprovalItemForm
from approvals.core.display import sentences
from approvals.models import ApprovalItem, ItemModeChange, StageChange


class StageChangeInline(ParentKnownInline, ReadOnlyRecordInline):
    model = StageChange
    verbose_name_plural = _("stage history")
    fields = (*ReadOnlyRecordInline.fields, "gates")
    readonly_fields = fields

    @admin.display(description=_("gates not held"))
    def gates(self, obj: StageChange) -> str:
        """What a catch-up from a list passed instead of being refused by it."""
        return sentences(gate.get("message", "") for gate in obj.gates_not_held) or "—"


class ApprovalItemInline(ParentKnownInline, TabularInline):
    model = ApprovalItem
    form = ApprovalItemForm
    extra = 0
    can_delete = False  # an item that does not apply is marked 不涉及, keeping its record
    fields = (
        "approval_type",
        "mode",
        "mode_basis",
        "mode_reason",
        "status",
        "accepted_on",
        "deadline",
        "document_number",
        "officer",
        "item_link",
    )
    readonly_fields = (
        "approval_type",
        "mode_basis",
        "status",
        "accepted_on",
        "deadline",
        "item_link",
    )
    verbose_name_plural = _("approval checklist")

    class Media:
        css = {"all": ["approvals/admin.css"]}

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # rows come from the catalogue ("generate the checklist"), one per type

    def get_fields(self, request, obj=None):
        """The reason box is a form's; readers get the recorded reason instead."""
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [f for f in fields if f != "mode_reason"]
        return fields

    @admin.display(description=_("procedure"))
    def item_link(self, obj: ApprovalItem) -> str:
        if not obj.pk:
            return ""
        url = reverse("admin:approvals_approvalitem_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open"))

    @admin.display(description=_("mode set by"))
    def mode_basis(self, obj: ApprovalItem) -> str:
        """Who set the present mode and why: the reason typed once stays in sight."""
        changes = getattr(obj, "mode_changes_latest_first", None)
        if changes is None:  # a row not read by this inline's queryset
            changes = obj.mode_changes.select_related("by").order_by("-at", "-id")
        last = next((c for c in changes if c.target == obj.mode), None)
        return f"{last.set_by}：{last.why}" if last else "—"

    def get_queryset(self, request):
        latest = ItemModeChange.objects.select_related("by").order_by("-at", "-id")
        return (
            super()
            .get_queryset(request)
            .select_related("approval_type", "officer")
            # into a list (to_attr): Django's prefetch into the manager made one queryset per
            # item, a filter and a deep copy each (a fifth of the items tab's time, issue 21)
            .prefetch_related(
                Prefetch("mode_changes", queryset=latest, to_attr="mode_changes_latest_first")
            )
        )
