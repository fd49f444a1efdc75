"""The inbox of reminders (every page shows how many are unread), and the administrators'
thresholds of the warning colours and of the reminder ladder."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from solo.admin import SingletonModelAdmin

from approvals.access import permissions
from approvals.admin.at_scale import DateRangeFilter, SearchedByProject
from approvals.admin.base import ModelAdmin, NeverWritten, person
from approvals.admin.channels import deliveries_of
from approvals.core.display import local_time
from approvals.models import Delivery, Reminder, WarningSettings


class ReadFilter(admin.SimpleListFilter):
    title = _("read")
    parameter_name = "unread"

    def lookups(self, request, model_admin):
        return [("1", _("Unread")), ("0", _("Read"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(read_at__isnull=True)
        if self.value() == "0":
            return queryset.filter(read_at__isnull=False)
        return queryset


@admin.register(Reminder)
class ReminderAdmin(SearchedByProject, NeverWritten, ModelAdmin):
    change_form_template = "admin/approvals/reminder/change_form.html"
    list_display = ("title_link", "project", "step", "day", "read", "delivery")
    list_filter = (ReadFilter, "step", "status", "email_status", ("day", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied
    search_fields = ("title", "project__name_key__matches")
    list_select_related = ("project",)
    actions = ["mark_read"]
    fields = (
        "title",
        "body",
        "open_case",
        "project",
        "step",
        "day",
        "recipient_name",
        "delivered",
        "status",
        "email_status",
        "attempts",
        "last_error",
    )
    readonly_fields = fields

    @admin.display(description=_("title"))  # searched, not sorted (issue 21)
    def title_link(self, obj: Reminder) -> str:
        """The admin links this first column to the reminder (opening it reads it): a link of
        its own inside would be a link in a link, which browsers break."""
        weight = "normal" if obj.read_at else "bold"
        return format_html('<span style="font-weight:{}">{}</span>', weight, obj.title)

    @admin.display(description=_("go to"))
    def open_case(self, obj: Reminder) -> str:
        return format_html('<a href="{}" id="open-case">{}</a>', obj.link, gettext("Open the case"))

    @admin.display(description=_("recipient"))
    def recipient_name(self, obj: Reminder) -> str:
        return person(obj.recipient)

    @admin.display(description=_("read"), boolean=True)
    def read(self, obj: Reminder) -> bool:
        return obj.read_at is not None

    @admin.display(description=_("in the inbox since"))
    def delivered(self, obj: Reminder) -> str:
        return local_time(obj.delivered_at)

    @admin.display(description=_("delivery"))
    def delivery(self, obj: Reminder) -> str:
        if obj.status == Delivery.FAILED or obj.email_status == "failed":
            return format_html('<span class="errornote">{}</span>', obj.get_email_status_display())
        return obj.get_email_status_display()

    def get_queryset(self, request):
        return permissions.reminders(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.may_see_reminder(request.user, obj)

    def has_module_permission(self, request) -> bool:
        return permissions.may_see_reminder(request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Opening a reminder reads it. Below it, its deliveries through the zone's channels
        (issue 23), as rows worked out here."""
        obj = self.get_object(request, object_id)
        if obj is not None and obj.recipient_id == request.user.pk and obj.read_at is None:
            Reminder.objects.filter(pk=obj.pk).update(read_at=timezone.now())
        deliveries = deliveries_of(obj) if obj is not None else []
        extra_context = {**(extra_context or {}), "channel_deliveries": deliveries}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Mark as read"))
    def mark_read(self, request, queryset):
        count = queryset.filter(recipient=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d reminder marked as read.", "%(count)d reminders marked as read.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request):
        # Actions normally need the change permission; reading one's own mail needs none.
        actions = super().get_actions(request)
        if "mark_read" not in actions:
            actions["mark_read"] = self.get_action("mark_read")
        return actions


@admin.register(WarningSettings)
class WarningSettingsAdmin(SingletonModelAdmin, ModelAdmin):
    fieldsets = (
        (
            _("Colours"),
            {
                "fields": (
                    "milestone_yellow_within_days",
                    "milestone_red_after_days",
                    "item_yellow_within_working_days",
                    "item_red_after_working_days",
                )
            },
        ),
        (
            _("Reminders"),
            {
                "fields": (
                    "officer_every_days",
                    "supervisor_after_days",
                    "supervisor_every_days",
                    "leader_every_days",
                    "at_risk_every_days",
                    "email",
                )
            },
        ),
    )
