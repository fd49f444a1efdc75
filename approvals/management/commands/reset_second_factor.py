"""``manage.py reset_second_factor USER``: an administrator who lost its authenticator enrols a
new one at its next login. Run on the server, like ``grant_admin_role``: the security
administrator resets the people's second factors on its page but never an administrator's
(三权分立, issue 17 finding 13), so an administrator's way back is the server's operator.
Each device removed is recorded in the security audit log, naming this command."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

COMMAND = "manage.py reset_second_factor"


class Command(BaseCommand):
    help = "Remove a user's second-factor devices: it enrols a new one at its next login."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        from approvals.audit import services as audit

        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        with transaction.atomic(), audit.acting_as(COMMAND):
            devices = list(TOTPDevice.objects.filter(user=user))
            for device in devices:
                device.delete()  # one signal each: every reset is in the audit log
        self.stdout.write(
            f"reset_second_factor: {len(devices)} device(s) of {username} removed; "
            "a new one is enrolled at the next login."
            if devices
            else f"reset_second_factor: {username} has no second-factor device."
        )
