"""Tokens: issued by the system administrator for a client, shown once and kept hashed; refused
when unknown, revoked or expired; a person's own token bound to its roles."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from api import tokens
from api.models import Token
from approvals.models import AuditEvent, AuditKind
from zones.models import ZoneRole

pytestmark = pytest.mark.django_db


def test_a_token_is_kept_as_a_hash_of_its_secret(zone_platform, sysadmin):
    issued = tokens.issue_for_client(zone_platform, by=sysadmin)
    stored = Token.objects.get(pk=issued.token.pk)
    secret = issued.text.split("_", 2)[2]
    assert issued.text.startswith(f"pd_{stored.prefix}_")
    assert stored.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in stored.digest and secret not in repr(stored.__dict__)
    assert AuditEvent.objects.filter(kind=AuditKind.PERMISSION, user=sysadmin).exists()


def test_only_the_system_administrator_issues_a_client_token(zone_platform, bob):
    with pytest.raises(PermissionDenied):
        tokens.issue_for_client(zone_platform, by=bob)
    assert not Token.objects.exists()


def test_unknown_revoked_and_expired_tokens_are_refused(api, zone_platform, sysadmin, project):
    issued = tokens.issue_for_client(zone_platform, by=sysadmin, days=10)
    assert api.get("projects/", issued.text).status_code == 200

    forged = issued.text[:-4] + ("aaaa" if not issued.text.endswith("aaaa") else "bbbb")
    answer = api.get("projects/", forged)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "令牌无效。"
    assert api.get("projects/", "pd_nothing_here").status_code == 401
    assert api.get("projects/").status_code == 401  # no token at all

    with time_machine.travel(timezone.now() + dt.timedelta(days=10, seconds=1)):
        answer = api.get("projects/", issued.text)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "令牌已过期。"

    tokens.revoke(Token.objects.get(pk=issued.token.pk), by=sysadmin)
    answer = api.get("projects/", issued.text)
    assert answer.status_code == 401
    assert answer.json()["detail"] == "令牌已被吊销。"


def test_a_client_token_knows_no_idle_time(api, zone_platform, sysadmin, project):
    issued = tokens.issue_for_client(zone_platform, by=sysadmin, days=200)
    with time_machine.travel(timezone.now() + dt.timedelta(days=100)):
        assert api.get("projects/", issued.text).status_code == 200


def test_a_persons_token_lapses_when_unused(api, alice, project):
    issued = tokens.issue_personal(alice, verified=False)
    with time_machine.travel(timezone.now() + dt.timedelta(days=29)):
        assert api.get("projects/", issued.text).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=29 + 31)):
        answer = api.get("projects/", issued.text)
    assert answer.status_code == 401
    assert "太久" in answer.json()["detail"]


def test_a_persons_token_acts_with_its_roles(api, alice, project, other_project):
    issued = tokens.issue_personal(alice, verified=False)
    ids = [p["id"] for p in api.get("projects/", issued.text).json()["results"]]
    assert ids == [project.pk]
    ZoneRole.objects.filter(user=alice).delete()
    assert api.get("projects/", issued.text).json()["results"] == []


def test_a_decider_proves_a_second_factor_before_issuing_its_token(bob, settings):
    settings.REQUIRE_2FA = True
    with pytest.raises(PermissionDenied):
        tokens.issue_personal(bob, verified=False)
    assert tokens.issue_personal(bob, verified=True).token.user == bob


def test_a_person_without_a_role_gets_no_token(nobody):
    with pytest.raises(PermissionDenied):
        tokens.issue_personal(nobody, verified=True)


def test_a_client_account_never_enters_the_desk(zone_platform, client):
    account = zone_platform.account
    account.refresh_from_db()
    assert not account.is_staff
    assert not account.has_usable_password()
    client.force_login(account)
    assert client.get("/admin/").status_code == 302
