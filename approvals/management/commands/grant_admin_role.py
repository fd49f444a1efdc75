"""``manage.py grant_admin_role USER system|security|audit`` (or ``--revoke USER``): the one way
an administrator role is given or taken (三权分立). Run on the server by whoever holds it: no
page of the application writes one, so no administrator grants itself or another a role.

The account becomes staff (to open the admin) and loses any zone role (an administrator holds
none) and the superuser flag (which grants nothing outside the demo, and which ``check
--deploy`` reports). Each change is recorded in the security audit log."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand
from zones.models import Administrator, AdminRole, ZoneRole

COMMAND = "manage.py grant_admin_role"


class Command(DeskCommand):
    help = gettext_lazy("Give a user one of the three administrator roles, or take it (--revoke).")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "username", metavar=gettext_lazy("LOGIN"), help=gettext_lazy("the user's login")
        )
        parser.add_argument(
            "role",
            nargs="?",
            choices=[r.value for r in AdminRole],
            help=gettext_lazy("system, security or audit administrator"),
        )
        parser.add_argument(
            "--revoke", action="store_true", help=gettext_lazy("take the user's role away")
        )

    def handle(self, *args, username: str, role: str | None, revoke: bool, **options) -> None:
        from approvals.audit import services as audit

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user “%(name)s”.") % {"name": username})
        if revoke == bool(role):
            raise CommandError(_("Name a role to grant, or --revoke without one."))
        with transaction.atomic(), audit.acting_as(COMMAND):
            # The signals of approvals.audit.services record each change: the role, the zone roles
            # dropped, the flags.
            if revoke:
                gone, __ = Administrator.objects.filter(user=user).delete()
                self.stdout.write(
                    (
                        _("%(name)s holds no administrator role now.")
                        if gone
                        else _("%(name)s held no administrator role.")
                    )
                    % {"name": username}
                )
                return
            held = Administrator.objects.filter(user=user).first()
            if held is not None and held.role != role:
                raise CommandError(
                    _("%(name)s is the %(role)s already: one role each (--revoke it first).")
                    % {"name": username, "role": held.get_role_display()}
                )
            Administrator.objects.get_or_create(user=user, defaults={"role": role})
            zone_roles = ZoneRole.objects.filter(user=user)
            dropped = zone_roles.count()
            for zone_role in zone_roles:
                zone_role.delete()  # one signal each: every revoked role is in the audit log
            # Staff, to open the admin; never a superuser (a flag the deploy check reports).
            flags = {"is_staff": True, "is_superuser": False}
            changed = [name for name, value in flags.items() if getattr(user, name) != value]
            for name in changed:
                setattr(user, name, flags[name])
            if changed:
                user.save(update_fields=changed)
        said = {"name": username, "role": AdminRole(role).label, "dropped": dropped}
        self.stdout.write(
            _("%(name)s is the %(role)s; %(dropped)d zone roles dropped.") % said
            if dropped
            else _("%(name)s is the %(role)s.") % said
        )
