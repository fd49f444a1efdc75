"""python manage.py seed_demo_portal: the demo's investor link, published like the demo's
accounts (``/portal/projectdesk-demo-investor/``, which ``./desk run`` prints): the contact of
the enterprise of the demo officer's first project with one, made by that officer, valid for 90
days from the last start. With DEBUG off it is never made, and the published token opens nothing
(``portal.links.investor_link_open``)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.demo_accounts import DEMO_INVESTOR_TOKEN
from approvals.management.base import DeskCommand
from approvals.models import Project
from portal.links import digest
from portal.models import LINK_DAYS, InvestorLink, LinkState, normalise_phone


class Command(DeskCommand):
    help = gettext_lazy("Make the demo's investor link (DEBUG only).")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            self.stdout.write(_("seed_demo_portal: DEBUG is off: no demo investor link."))
            return
        officer = get_user_model().objects.filter(username="officer").first()
        project = (
            Project.objects.filter(officer=officer, enterprise__isnull=False).order_by("pk").first()
            if officer is not None
            else None
        )
        if project is None:
            self.stdout.write(_("seed_demo_portal: no project of the demo officer yet."))
            return
        enterprise = project.enterprise
        name = enterprise.contact_person or _("Demo contact")
        phone = normalise_phone(enterprise.contact_phone) or "13800000000"
        now = timezone.now()
        with transaction.atomic():
            demo = InvestorLink.objects.filter(token_digest=digest(DEMO_INVESTOR_TOKEN)).first()
            if demo is not None and demo.state(now) == LinkState.LIVE:
                return
            # the contact's other live link ends, as a new link for a contact ends the old
            InvestorLink.objects.filter(
                enterprise=enterprise, contact_phone=phone, ended_at__isnull=True
            ).exclude(token_digest=digest(DEMO_INVESTOR_TOKEN)).update(
                ended_at=now, ended_by=officer, end=LinkState.REPLACED
            )
            InvestorLink.objects.update_or_create(
                token_digest=digest(DEMO_INVESTOR_TOKEN),
                defaults={
                    "enterprise": enterprise,
                    "contact_name": name,
                    "contact_phone": phone,
                    "created_by": officer,
                    "created_at": now,
                    "expires_at": now + dt.timedelta(days=LINK_DAYS),
                    "ended_at": None,
                    "ended_by": None,
                    "end": "",
                },
            )
        self.stdout.write(
            _("seed_demo_portal: the demo investor link opens %(enterprise)s's page.")
            % {"enterprise": enterprise}
        )
