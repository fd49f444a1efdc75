"""The security administrator's pages (issue 12): failed logins and lockouts, lifted from the
list, and the people's second-factor devices (never an administrator's), reset by deleting them. Read and kept by whom
``approvals.access.permissions.may_keep_security`` names; nobody adds or edits a row by hand.

django-axes registers no admin of its own here (``AXES_ENABLE_ADMIN = False``); django-otp's
TOTP device admin (which shows secrets and lets its users edit them) is replaced."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security
from approvals.access import permissions
from approvals.admin.at_scale import DateRangeFilter
from approvals.admin.base import ModelAdmin


class SecurityAdministratorsOnly:
    """Seen and kept by the security administrator; written only by the login itself."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.may_keep_security(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return permissions.may_keep_security(request.user)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class LockoutAdmin(SecurityAdministratorsOnly, ModelAdmin):
    """Failed logins still counted, per name, address and browser; a name whose count reached
    a limit is locked out (``accounts.security``)."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time", "locked")
    search_fields = ("username", "ip_address")
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    readonly_fields = fields
    ordering = ("-attempt_time",)
    actions = ("lift",)

    def get_actions(self, request: HttpRequest):
        # Lifting deletes the counted failures: offered to those who keep security (delete_selected,
        # which asks the delete permission nobody has here, is not).
        if not permissions.may_keep_security(request.user):
            return {}
        return {"lift": self.get_action("lift")}

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return security.with_failure_counts(super().get_queryset(request))

    @admin.display(description=gettext_lazy("locked out"), boolean=True)
    def locked(self, obj: AccessAttempt) -> bool:
        return security.is_locked(obj)

    @admin.action(description=gettext_lazy("Lift the lockout of the selected names"))
    def lift(self, request: HttpRequest, queryset: QuerySet) -> None:
        names = sorted(set(queryset.values_list("username", flat=True)))
        for name in names:
            security.lift_lockout(name)
        self.message_user(
            request,
            ngettext(
                "Lifted the lockout of %(names)s: its failed logins are forgotten.",
                "Lifted the lockout of %(names)s: their failed logins are forgotten.",
                len(names),
            )
            % {"names": "、".join(names)},
        )


@admin.register(AccessFailureLog)
class FailedLoginAdmin(SecurityAdministratorsOnly, ModelAdmin):
    """Every failed login, kept after its lockout is lifted or has run out."""

    list_display = ("attempt_time", "username", "ip_address", "locked_out")
    list_filter = ("locked_out", ("attempt_time", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied
    search_fields = ("username", "ip_address")
    fields = ("attempt_time", "username", "ip_address", "user_agent", "path_info", "locked_out")
    readonly_fields = fields


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class SecondFactorAdmin(SecurityAdministratorsOnly, ModelAdmin):
    """The people's authenticators. Resetting one deletes it: its owner enrols a new one at the
    next login (a supervisor's session that proved it is no longer verified).

    Never an administrator's or a superuser's, its own included (``may_keep_account``): their
    devices are neither listed, nor opened, nor reset here — else the security administrator,
    knowing or resetting a colleague's password, would take over the account with a phone of
    its own."""

    # django-otp's fields have English labels only: the columns are named here.
    list_display = ("person", "device_name", "enrolled", "created", "last_used")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    fields = ("person", "device_name", "enrolled", "created", "last_used")
    readonly_fields = fields
    actions = ("reset",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(user__in=_keepable(request))

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and not permissions.may_keep_account(request.user, obj.user):
            return False
        return super().has_view_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        title = {"title": _("Second-factor devices")}
        return super().changelist_view(request, {**title, **(extra_context or {})})

    @admin.display(description=gettext_lazy("person"), ordering="user__username")
    def person(self, obj: TOTPDevice) -> str:
        return str(obj.user)

    @admin.display(description=gettext_lazy("device"))
    def device_name(self, obj: TOTPDevice) -> str:
        return obj.name

    @admin.display(description=gettext_lazy("enrolled"), boolean=True, ordering="confirmed")
    def enrolled(self, obj: TOTPDevice) -> bool:
        return obj.confirmed

    @admin.display(description=gettext_lazy("created"), ordering="created_at")
    def created(self, obj: TOTPDevice):
        return obj.created_at

    @admin.display(description=gettext_lazy("last used"), ordering="last_used_at")
    def last_used(self, obj: TOTPDevice):
        return obj.last_used_at

    def get_actions(self, request: HttpRequest):
        if not permissions.may_keep_security(request.user):
            return {}
        return {"reset": self.get_action("reset")}

    @admin.action(description=gettext_lazy("Reset the second factor of the selected people"))
    def reset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # Asked again here, whatever the selection was made of: the rule is the action's too.
        owners = get_user_model().objects.filter(pk__in=queryset.values("user"))
        kept = owners.filter(pk__in=_keepable(request))
        people = sorted(str(person) for person in kept)
        refused = sorted(str(person) for person in owners.exclude(pk__in=kept))
        TOTPDevice.objects.filter(user__in=kept).delete()
        if people:
            self.message_user(
                request,
                _("Second factor reset for %(people)s: each enrols a new one at the next login.")
                % {"people": "、".join(people)},
            )
        if refused:
            self.message_user(
                request,
                _(
                    "Not reset: %(people)s. An administrator's second factor is not the "
                    "security administrator's to reset."
                )
                % {"people": "、".join(refused)},
                messages.ERROR,
            )


def _keepable(request: HttpRequest) -> QuerySet:
    """The accounts whose second factor ``request.user`` may reset (``may_keep_account``)."""
    return permissions.keepable_accounts(get_user_model().objects.all(), request.user)
