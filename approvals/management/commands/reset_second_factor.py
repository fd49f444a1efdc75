"""``manage.py reset_second_factor USER``: an administrator who lost its authenticator enrols a
new one at its next login. Run on the server, like ``grant_admin_role``: the security
administrator resets the people's second factors on its page but never an administrator's
(三权分立, issue 17 finding 13), so an administrator's way back is the server's operator.
Each device removed is recorded in the security audit log, naming this command."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.management.base import DeskCommand

COMMAND = "manage.py reset_second_factor"


class Command(DeskCommand):
    help = gettext_lazy(
        "Remove a user's second-factor devices: it enrols a new one at its next login."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "username", metavar=gettext_lazy("LOGIN"), help=gettext_lazy("the user's login")
        )

    def handle(self, *args, username: str, **options) -> None:
        from approvals.audit import services as audit

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user “%(name)s”.") % {"name": username})
        with transaction.atomic(), audit.acting_as(COMMAND):
            devices = list(TOTPDevice.objects.filter(user=user))
            for device in devices:
                device.delete()  # one signal each: every reset is in the audit log
        said = {"name": username, "count": len(devices)}
        self.stdout.write(
            _(
                "%(count)d second-factor devices of %(name)s removed; a new one is enrolled "
                "at the next login."
            )
            % said
            if devices
            else _("%(name)s has no second-factor device.") % said
        )
