"""Identification and authentication (issue 12, guide section 11): lockout after failed logins
(per name and address, and per name from anywhere), the same answer for unknown names, idle
sessions, one session per account, the second factor of supervisors and administrators, the
password's age and strength.

The test settings switch lockout and the second factor off for the other tests; each test here
switches on what it tests. alice is an officer, bob a supervisor (tests/conftest.py); sam keeps
security (the security administrator role).
"""

from __future__ import annotations

import datetime as dt
import re
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security
from approvals.models import Project
from tests.factories import UserFactory
from zones.models import AccountSecurity, Administrator, AdminRole

PASSWORD = "secret-pass-123"  # tests/factories.py
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
ENROL = reverse("admin:second_factor_enrol")
VERIFY = reverse("admin:second_factor")
PASSWORD_CHANGE = reverse("admin:password_change")
LOCKOUTS = reverse("admin:axes_accessattempt_changelist")
DEVICES = reverse("admin:otp_totp_totpdevice_changelist")


@pytest.fixture
def lockout_on(settings):
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 5


@pytest.fixture
def second_factor_on(settings):
    settings.REQUIRE_2FA = True


def log_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": INDEX}, REMOTE_ADDR=address
    )


def logged_in(client: Client) -> bool:
    return client.get(INDEX).status_code == 200


def without_token(response, typed_name: str) -> str:
    """The page with what may differ between two equal answers taken out: the CSRF token and
    the name the person typed (the form shows it back)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", body)
    return body.replace(typed_name, "NAME")


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows for ``device`` now (or ``steps_ahead`` periods on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def sam(db):
    user = UserFactory(username="sam", first_name="萨姆")
    Administrator.objects.create(user=user, role=AdminRole.SECURITY)
    return user


# --- lockout -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("lockout_on")
class TestLockout:
    def test_a_name_is_locked_out_at_the_limit_and_then_the_right_password_is_refused(
        self, client, alice
    ):
        for _ in range(2):
            assert log_in(client, "alice", "wrong-guess").status_code == 200
        locked = log_in(client, "alice", "wrong-guess")
        assert locked.status_code == 429
        assert "登录失败次数过多" in locked.content.decode()

        assert log_in(client, "alice", PASSWORD).status_code == 429
        assert not logged_in(client)

    def test_the_limit_is_per_name_and_address(self, client, alice):
        for _ in range(3):
            log_in(client, "alice", "wrong-guess", address="10.0.0.1")

        assert log_in(Client(), "alice", PASSWORD, address="10.0.0.2").status_code == 302

    def test_a_name_is_locked_from_every_address_at_the_higher_limit(self, client, alice):
        for n in range(5):  # one failure from each of five addresses: none reaches 3
            log_in(Client(), "alice", "wrong-guess", address=f"10.0.1.{n}")

        refused = log_in(client, "alice", PASSWORD, address="10.0.2.1")
        assert refused.status_code == 429
        assert not logged_in(client)

    def test_four_failures_from_four_addresses_leave_the_name_free(self, client, alice):
        for n in range(4):
            log_in(Client(), "alice", "wrong-guess", address=f"10.0.1.{n}")

        assert log_in(client, "alice", PASSWORD, address="10.0.2.1").status_code == 302
        assert logged_in(client)

    def test_a_lockout_ends_after_the_configured_minutes(self, client, alice):
        start = timezone.now()
        with time_machine.travel(start, tick=False) as clock:
            for _ in range(3):
                log_in(client, "alice", "wrong-guess")
            clock.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES - 1))
            assert log_in(client, "alice", PASSWORD).status_code == 429
            # The refused attempt counted too: the wait starts again from it.
            clock.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1))
            assert log_in(client, "alice", PASSWORD).status_code == 302

    def test_the_security_administrator_sees_the_lockout_and_lifts_it(self, client, alice, sam):
        for _ in range(3):
            log_in(Client(), "alice", "wrong-guess")
        keeper = Client()
        keeper.force_login(sam)

        listed = keeper.get(LOCKOUTS)
        assert listed.status_code == 200
        assert [a.username for a in listed.context["cl"].result_list] == ["alice"]
        assert security.is_locked(listed.context["cl"].result_list[0])

        attempt = listed.context["cl"].result_list[0]
        lifted = keeper.post(
            LOCKOUTS, {"action": "lift", "_selected_action": [attempt.pk]}, follow=True
        )
        assert "alice" in lifted.content.decode()
        assert keeper.get(LOCKOUTS).context["cl"].result_count == 0
        assert log_in(client, "alice", PASSWORD).status_code == 302

    def test_nobody_else_opens_the_lockouts(self, as_user, alice, bob):
        assert as_user(alice).get(LOCKOUTS).status_code == 403
        assert as_user(bob).get(LOCKOUTS).status_code == 403


# --- the same answer for unknown names -----------------------------------------------------------


@pytest.mark.usefixtures("lockout_on")
class TestUnknownNames:
    """``alice`` exists, ``alicx`` does not: five letters each, so the pages compare whole."""

    @staticmethod
    def attempt(name: str, address: str):
        with mock.patch.object(
            MD5PasswordHasher, "encode", autospec=True, side_effect=MD5PasswordHasher.encode
        ) as hasher:
            response = log_in(Client(), name, "wrong-guess", address=address)
        return response, hasher.call_count

    def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(self, alice):
        known, known_hashes = self.attempt("alice", "10.0.0.1")
        unknown, unknown_hashes = self.attempt("alicx", "10.0.0.1")

        assert known.status_code == unknown.status_code == 200
        assert without_token(known, "alice") == without_token(unknown, "alicx")
        # The password hasher runs once for either (Django's ModelBackend hashes the password
        # of an unknown name too): the answer takes as long.
        assert known_hashes == unknown_hashes == 1

    def test_a_locked_known_name_and_a_locked_unknown_name_get_the_same_answer(self, alice):
        for _ in range(2):
            self.attempt("alice", "10.0.0.1")
            self.attempt("alicx", "10.0.0.1")
        known, known_hashes = self.attempt("alice", "10.0.0.1")
        unknown, unknown_hashes = self.attempt("alicx", "10.0.0.1")
        assert known.status_code == unknown.status_code == 429
        assert without_token(known, "alice") == without_token(unknown, "alicx")
        assert "alice" not in known.content.decode()

        # Locked: refused before any password is checked, for either.
        again_known, again_known_hashes = self.attempt("alice", "10.0.0.1")
        again_unknown, again_unknown_hashes = self.attempt("alicx", "10.0.0.1")
        assert again_known.status_code == again_unknown.status_code == 429
        assert without_token(again_known, "alice") == without_token(again_unknown, "alicx")
        assert again_known_hashes == again_unknown_hashes == 0


# --- sessions ------------------------------------------------------------------------------------


def test_an_idle_session_ends_after_the_configured_minutes(client, alice):
    idle = dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client.force_login(alice)
        clock.shift(idle - dt.timedelta(minutes=1))
        assert logged_in(client)  # each request renews the session
        clock.shift(idle - dt.timedelta(minutes=1))
        assert logged_in(client)
        clock.shift(idle + dt.timedelta(minutes=1))
        response = client.get(INDEX)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_second_login_ends_the_first_session(alice):
    first, second = Client(), Client()
    log_in(first, "alice", PASSWORD)
    assert logged_in(first)

    log_in(second, "alice", PASSWORD, address="10.0.0.9")

    ended = first.get(INDEX, follow=True)
    assert ended.redirect_chain[0][0].startswith(LOGIN)
    assert "您的账号已在别处重新登录，本会话已结束。" in ended.content.decode()
    assert not logged_in(first)
    assert logged_in(second)
    assert AccountSecurity.objects.get(user=alice).session_key == second.session.session_key


def test_logging_in_over_another_persons_session_is_the_new_current_one(client, alice, bob):
    log_in(client, "alice", PASSWORD)
    log_in(client, "bob", PASSWORD)  # the same browser, without logging out
    log_in(client, "alice", PASSWORD)
    assert logged_in(client)
    assert AccountSecurity.objects.get(user=alice).session_key == client.session.session_key


def test_changing_ones_password_keeps_ones_own_session(client, alice):
    log_in(client, "alice", PASSWORD)
    changed = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "Ny-Passord-2026",
            "new_password2": "Ny-Passord-2026",
        },
    )
    assert changed.status_code == 302  # Django gave the session a new key
    assert logged_in(client)
    assert AccountSecurity.objects.get(user=alice).session_key == client.session.session_key


# --- second factor -------------------------------------------------------------------------------


def admin_pages(project: Project) -> list[str]:
    """Every list of the admin, the project's page and the admin's own pages."""
    from django.contrib import admin

    lists = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    own = [reverse("admin:reports"), reverse("admin:three_lists")]
    return [INDEX, *lists, *own, change_url(project)]


def change_url(project: Project) -> str:
    return reverse("admin:approvals_project_change", args=[project.pk])


@pytest.mark.usefixtures("second_factor_on")
class TestSecondFactor:
    def test_a_supervisor_without_a_second_factor_opens_no_admin_page(self, client, bob, project):
        log_in(client, "bob", PASSWORD)
        for url in admin_pages(project):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(ENROL), url

    def test_a_supervisor_enrols_and_then_opens_the_pages(self, client, bob, project):
        log_in(client, "bob", PASSWORD)
        page = client.get(ENROL)
        assert page.status_code == 200
        assert page.context["qr_code"].startswith("data:image/svg+xml;base64,")
        device = TOTPDevice.objects.get(user=bob, confirmed=False)

        enrolled = client.post(ENROL, {"code": code_for(device), "next": INDEX})

        assert enrolled.status_code == 302 and enrolled["Location"] == INDEX
        assert TOTPDevice.objects.get(user=bob).confirmed
        for url in admin_pages(project):
            response = client.get(url)  # each page as its roles allow: open or refused
            assert response.status_code in (200, 403), url
        assert client.get(change_url(project)).status_code == 200

    def test_an_enrolled_supervisor_proves_a_code_at_every_login(self, client, bob):
        device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
        log_in(client, "bob", PASSWORD)
        sent = client.get(INDEX)
        assert sent["Location"].startswith(VERIFY)
        assert client.get(ENROL)["Location"].startswith(VERIFY)  # no second device

        wrong = client.post(VERIFY, {"code": code_for(device, steps_ahead=5)})
        assert wrong.status_code == 200 and not logged_in(client)

        device.refresh_from_db()
        device.throttle_reset()
        before = client.session.session_key
        assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
        assert logged_in(client)
        # A new session key once verified, and it stays the account's one session.
        assert client.session.session_key != before
        assert AccountSecurity.objects.get(user=bob).session_key == client.session.session_key

    def test_a_used_code_is_not_accepted_twice(self, bob):
        device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
        code = code_for(device)
        first, second = Client(), Client()
        log_in(first, "bob", PASSWORD)
        assert first.post(VERIFY, {"code": code}).status_code == 302
        log_in(second, "bob", PASSWORD, address="10.0.0.2")
        assert second.post(VERIFY, {"code": code}).status_code == 200
        assert not logged_in(second)

    def test_administrators_need_it_officers_do_not(self, alice, bob, sam, superuser):
        assert security.needs_second_factor(bob)
        assert security.needs_second_factor(sam)
        assert security.needs_second_factor(superuser)
        assert not security.needs_second_factor(alice)

    def test_an_officer_goes_straight_in(self, client, alice):
        log_in(client, "alice", PASSWORD)
        assert logged_in(client)

    def test_the_security_administrator_resets_a_second_factor(self, client, bob, sam):
        TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
        keeper = Client()
        keeper.force_login(sam)
        enrolled = TOTPDevice.objects.create(user=sam, name="phone", confirmed=True)
        verify_as(keeper, enrolled)
        device = TOTPDevice.objects.get(user=bob)

        keeper.post(DEVICES, {"action": "reset", "_selected_action": [device.pk]})

        assert not TOTPDevice.objects.filter(user=bob).exists()
        log_in(client, "bob", PASSWORD)
        assert client.get(INDEX)["Location"].startswith(ENROL)

    def test_nobody_else_resets_one(self, client, bob):
        device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
        log_in(client, "bob", PASSWORD)
        verify_as(client, device)
        assert client.get(DEVICES).status_code == 403
        client.post(DEVICES, {"action": "reset", "_selected_action": [device.pk]})
        assert TOTPDevice.objects.filter(pk=device.pk).exists()


def verify_as(client: Client, device: TOTPDevice) -> None:
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302


@override_settings(REQUIRE_2FA=False)
def test_with_the_second_factor_off_a_supervisor_goes_straight_in(client, bob, project):
    log_in(client, "bob", PASSWORD)
    assert logged_in(client)
    assert client.get(change_url(project)).status_code == 200
    assert not security.needs_second_factor(bob)


# --- passwords -----------------------------------------------------------------------------------


def test_a_password_older_than_the_maximum_age_must_be_changed_first(client, alice, project):
    AccountSecurity.objects.filter(user=alice).update(
        password_changed_at=timezone.now() - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    )
    log_in(client, "alice", PASSWORD)
    for url in admin_pages(project):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == PASSWORD_CHANGE, url
    assert client.get(PASSWORD_CHANGE).status_code == 200

    client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "Neues-Passwort-9",
            "new_password2": "Neues-Passwort-9",
        },
    )

    assert logged_in(client)
    changed_at = AccountSecurity.objects.get(user=alice).password_changed_at
    assert timezone.now() - changed_at < dt.timedelta(minutes=1)


def test_a_password_younger_than_the_maximum_age_is_kept(client, alice):
    AccountSecurity.objects.filter(user=alice).update(
        password_changed_at=timezone.now() - dt.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 1)
    )
    log_in(client, "alice", PASSWORD)
    assert logged_in(client)


@override_settings(PASSWORD_MAX_AGE_DAYS=0)
def test_no_maximum_age_keeps_any_password(client, alice):
    AccountSecurity.objects.filter(user=alice).update(
        password_changed_at=timezone.now() - dt.timedelta(days=3650)
    )
    log_in(client, "alice", PASSWORD)
    assert logged_in(client)


def test_an_administrator_setting_a_password_records_the_change(client, alice, superuser):
    AccountSecurity.objects.filter(user=alice).update(
        password_changed_at=timezone.now() - dt.timedelta(days=400)
    )
    client.force_login(superuser)
    url = reverse("admin:auth_user_password_change", args=[alice.pk])
    response = client.post(
        url,
        {"password1": "Vom-Admin-2026", "password2": "Vom-Admin-2026", "usable_password": "true"},
    )
    assert response.status_code == 302
    changed_at = AccountSecurity.objects.get(user=alice).password_changed_at
    assert timezone.now() - changed_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    "weak",
    [
        "abcdefghijkl",  # one kind of characters
        "abcdefgh1234",  # two kinds
        "Ab1!xyz",  # three kinds, too short
        "1234567890123",  # digits alone (and common)
        "Password123",  # common
    ],
)
def test_a_weak_password_is_refused(client, alice, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, alice)
    log_in(client, "alice", PASSWORD)
    refused = client.post(
        PASSWORD_CHANGE, {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak}
    )
    assert refused.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_three_kinds_of_characters_in_ten_are_enough(alice):
    validate_password("Kfz-Zulassung", alice)
    validate_password("qinghua-2026!", alice)


def test_the_character_classes_rule_says_so_in_chinese(client, alice):
    log_in(client, "alice", PASSWORD)
    refused = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "abcdefgh1234",
            "new_password2": "abcdefgh1234",
        },
    )
    assert "密码须至少混合 3 类字符" in refused.content.decode()
