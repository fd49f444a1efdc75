"""python manage.py seed_demo_api: the demo's client system (晋中市平台（演示）, read-only over
晋中市) and its published token ``pd_demo_projectdesk-demo``, so that the README's ``curl`` works
on the embedded default. Like the demo's accounts, with DEBUG off it is never created and its
token is refused (``api.tokens.check``: ``permissions.is_demo_account_refused``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.demo_accounts import DEMO_PLATFORM, DEMO_TOKEN_PREFIX, DEMO_TOKEN_SECRET
from api import clients
from api.models import Access, Client, Token
from api.tokens import digest
from approvals.management.base import DeskCommand

NAME = "晋中市平台（演示）"


class Command(DeskCommand):
    help = gettext_lazy("Create the demo's API client and its published token (DEBUG only).")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            self.stdout.write(_("seed_demo_api: DEBUG is off: no demo API client."))
            return
        with transaction.atomic():
            client = Client.objects.filter(account__username=DEMO_PLATFORM).first()
            if client is None:
                account = get_user_model()(username=DEMO_PLATFORM, first_name=NAME)
                account.set_unusable_password()
                account.save()
                client = Client.objects.create(
                    name=NAME, access=Access.READ, cities="晋中市", account=account
                )
                self.stdout.write(_("seed_demo_api: created the demo API client."))
            clients.sync_roles(client)
            if not Token.objects.filter(prefix=DEMO_TOKEN_PREFIX).exists():
                Token.objects.create(
                    client=client,
                    user=client.account,
                    name=_("demo"),
                    prefix=DEMO_TOKEN_PREFIX,
                    digest=digest(DEMO_TOKEN_SECRET),
                    expires_at=timezone.now() + dt.timedelta(days=365),
                )
