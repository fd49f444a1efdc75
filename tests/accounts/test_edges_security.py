"""What broke at the edges of authentication, proxies and administrators (issue 17, findings 13,
16 and the security parts of 17): the security administrator touching administrators' second
factors, the client's own X-Forwarded-For entry taken as its address (and the proxy's address
keying the lockout), throttled second-factor codes left out of the audit log, the export pages
open to administrators who see no project, an off-site ``next`` landing on a 404, passwords made
of the user name, look-alike user names, and ``check --deploy`` silent on weak authentication.

alice is an officer, bob a supervisor (tests/conftest.py); sam keeps security, aud reads the
audit log, sys keeps the configuration.
"""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import checks, security, validators
from approvals.models import AuditEvent, AuditKind, AuditResult
from tests.factories import UserFactory, administrator
from zones.models import AdminRole

PASSWORD = "secret-pass-123"  # tests/factories.py
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
VERIFY = reverse("admin:second_factor")
PASSWORD_CHANGE = reverse("admin:password_change")
DEVICES = reverse("admin:otp_totp_totpdevice_changelist")
USERS_ADD = reverse("admin:auth_user_add")
EXPORT = reverse("admin:approvals_project_export")
DISPATCH = reverse("admin:approvals_project_dispatch")
PROXY = "127.0.0.1"  # the TLS proxy in front of ./desk serve, as gunicorn sees it


@pytest.fixture
def sam(db):
    return administrator("sam", AdminRole.SECURITY)


@pytest.fixture
def aud(db):
    return administrator("aud", AdminRole.AUDIT)


@pytest.fixture
def sysadmin(db):
    return administrator("sys", AdminRole.SYSTEM)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def audited(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(kind=kind).order_by("id"))


# --- 13: the security administrator never touches an administrator's second factor ----------


@pytest.fixture
def devices(bob, sam, aud, sysadmin, superuser) -> dict[str, TOTPDevice]:
    """An enrolled authenticator for a supervisor, each administrator and the superuser."""
    return {
        user.username: TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        for user in (bob, sam, aud, sysadmin, superuser)
    }


ADMINISTRATORS = ("sam", "aud", "sys", "root")


def kept_devices() -> set[str]:
    return set(TOTPDevice.objects.values_list("user__username", flat=True))


class TestAdministratorsSecondFactors:
    def test_the_list_shows_the_people_s_devices_and_no_administrator_s(
        self, as_user, sam, devices
    ):
        listed = as_user(sam).get(DEVICES)

        assert listed.status_code == 200
        assert [d.user.username for d in listed.context["cl"].result_list] == ["bob"]

    def test_resetting_an_administrator_s_device_is_refused(self, as_user, sam, devices):
        keeper = as_user(sam)
        for name in ADMINISTRATORS:
            keeper.post(DEVICES, {"action": "reset", "_selected_action": [devices[name].pk]})
        assert kept_devices() == {"bob", *ADMINISTRATORS}

        # Selected together with a person's device, the person's alone is reset.
        both = [devices["bob"].pk, devices["aud"].pk]
        keeper.post(DEVICES, {"action": "reset", "_selected_action": both})
        assert kept_devices() == set(ADMINISTRATORS)

    def test_the_reset_action_itself_leaves_administrators_devices(self, sam, devices):
        """The action, handed every device (as a forged selection could), resets the people's
        only: the rule holds in the action, not only in the list."""
        from django.contrib.messages.storage.fallback import FallbackStorage

        request = RequestFactory().post(DEVICES)
        request.user, request.session = sam, {}
        request._messages = FallbackStorage(request)

        admin.site._registry[TOTPDevice].reset(request, TOTPDevice.objects.all())

        assert kept_devices() == set(ADMINISTRATORS)
        done, refused = [str(m) for m in request._messages]
        assert "bob" in done and not any(name in done for name in ADMINISTRATORS)
        assert refused.startswith("未重置") and all(name in refused for name in ADMINISTRATORS)

    def test_an_administrator_s_device_page_does_not_open(self, as_user, sam, devices):
        keeper = as_user(sam)
        for name in ADMINISTRATORS:
            pk = devices[name].pk
            change = keeper.get(reverse("admin:otp_totp_totpdevice_change", args=[pk]))
            assert (change.status_code, change["Location"]) == (302, INDEX), name
            history = keeper.get(reverse("admin:otp_totp_totpdevice_history", args=[pk]))
            assert (history.status_code, history["Location"]) == (302, INDEX), name
            delete = reverse("admin:otp_totp_totpdevice_delete", args=[pk])
            assert keeper.get(delete).status_code == 403, name
            assert keeper.post(delete, {"post": "yes"}).status_code == 403, name
        assert kept_devices() == {"bob", *ADMINISTRATORS}

    def test_a_person_s_device_page_opens(self, as_user, sam, devices):
        change = reverse("admin:otp_totp_totpdevice_change", args=[devices["bob"].pk])
        assert as_user(sam).get(change).status_code == 200

    def test_an_administrator_s_way_back_is_the_server_s_command_and_it_is_recorded(self, devices):
        out = StringIO()
        call_command("reset_second_factor", "aud", stdout=out)

        assert kept_devices() == {"bob", "sam", "sys", "root"}
        assert "已删除 aud 的 1 个双因素认证设备" in out.getvalue()
        (reset,) = audited(AuditKind.SECOND_FACTOR)
        assert (reset.username, reset.detail["action"], reset.detail["of"]) == (
            "manage.py reset_second_factor",
            "reset",
            "aud",
        )
        with pytest.raises(CommandError, match="没有用户“nobody”"):
            call_command("reset_second_factor", "nobody", stdout=StringIO())


# --- 16: the address the trusted proxy saw, for the audit log and the lockout alike -------------


@pytest.fixture
def behind_the_proxy(settings):
    """./desk serve behind its TLS proxy, with the lockout and its production limits."""
    settings.TRUSTED_PROXY = 1
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 20


def through_proxy(username: str, password: str, *, real: str, forged: str = ""):
    """A login from ``real`` through the proxy, which appends the address it saw to whatever
    X-Forwarded-For the client sent (``forged``)."""
    forwarded = f"{forged}, {real}" if forged else real
    return Client().post(
        LOGIN,
        {"username": username, "password": password, "next": INDEX},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.mark.usefixtures("behind_the_proxy")
class TestProxiesAndAddresses:
    def test_the_audit_log_and_the_lockout_record_the_address_the_proxy_saw(self, alice):
        through_proxy("alice", "wrong-guess", real="203.0.113.7", forged="198.51.100.1")

        assert audited(AuditKind.LOGIN_FAILED)[-1].source_address == "203.0.113.7"
        assert AccessAttempt.objects.get(username="alice").ip_address == "203.0.113.7"
        assert AccessFailureLog.objects.get(username="alice").ip_address == "203.0.113.7"

    def test_six_wrong_passwords_from_six_addresses_lock_nobody(self, alice):
        answers = [
            through_proxy(
                "alice", "wrong-guess", real=f"203.0.113.{n}", forged=f"198.51.100.{n}"
            ).status_code
            for n in range(1, 7)
        ]

        assert answers == [200] * 6
        assert through_proxy("alice", PASSWORD, real="203.0.113.50").status_code == 302
        assert not audited(AuditKind.LOCKOUT)

    def test_six_wrong_passwords_from_one_address_lock_that_address_out(self, alice):
        # A different forged first entry each time: the address counted is the one the proxy saw.
        answers = [
            through_proxy(
                "alice", "wrong-guess", real="203.0.113.7", forged=f"198.51.100.{n}"
            ).status_code
            for n in range(1, 7)
        ]

        assert answers == [200] * 4 + [429] * 2
        locked = through_proxy("alice", PASSWORD, real="203.0.113.7", forged="198.51.100.99")
        assert locked.status_code == 429
        lockout = audited(AuditKind.LOCKOUT)[0]
        assert (lockout.username, lockout.source_address) == ("alice", "203.0.113.7")
        assert lockout.result == AuditResult.FAILURE
        # The name is locked for that address only: alice elsewhere logs in.
        assert through_proxy("alice", PASSWORD, real="203.0.113.8").status_code == 302


@pytest.mark.parametrize(
    "proxies, remote, forwarded, address",
    [
        (0, PROXY, "", PROXY),
        (0, PROXY, "198.51.100.1, 203.0.113.7", PROXY),  # no proxy trusted: the header is noise
        (1, PROXY, "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        (1, PROXY, "203.0.113.7", "203.0.113.7"),
        (1, PROXY, " 198.51.100.1 ,2001:db8::1 ", "2001:db8::1"),
        (1, PROXY, "", PROXY),  # not through the proxy (a check from the host itself)
        (1, PROXY, "198.51.100.1, not-an-address", PROXY),
        # Two proxies (a load balancer before nginx): the entry the outer one added.
        (2, "10.0.0.2", "198.51.100.1, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        (2, "10.0.0.2", "203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_address_is_the_entry_the_outermost_trusted_proxy_added(
    settings, proxies, remote, forwarded, address
):
    settings.TRUSTED_PROXY = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    assert security.client_address(request) == address


def test_the_lockout_asks_the_same_home_for_the_address(settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXY = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7"
    )
    assert get_client_ip_address(request) == security.client_address(request) == "203.0.113.7"


def settings_printed(env: dict, expression: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "TRUSTED_PROXY"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="projectdesk.settings", SECRET_KEY="x" * 50)
    code = (
        f"import django; django.setup(); from django.conf import settings as s; print({expression})"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, proxies",
    [
        ({}, "1"),  # production (./desk serve) runs behind its TLS proxy
        ({"DEBUG": "1"}, "0"),  # ./desk run has none
        ({"TRUSTED_PROXY": "0"}, "0"),
        ({"TRUSTED_PROXY": "yes"}, "1"),
        ({"TRUSTED_PROXY": "2"}, "2"),
    ],
)
@pytest.mark.slow
def test_trusted_proxy_counts_the_proxies_in_front(env, proxies):
    printed = settings_printed(env, "s.TRUSTED_PROXY")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == proxies


@pytest.mark.slow
def test_trusted_proxy_refuses_a_word_it_does_not_know():
    printed = settings_printed({"TRUSTED_PROXY": "nginx"}, "s.TRUSTED_PROXY")
    assert printed.returncode != 0
    assert "TRUSTED_PROXY" in printed.stderr


# --- 17 (a): second-factor failures and lockouts are audited ----------------------------------


@pytest.fixture
def bob_owes_a_code(settings, client, bob):
    settings.REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    client.post(LOGIN, {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    return device


def test_a_wrong_second_factor_code_is_audited(client, bob, bob_owes_a_code):
    client.post(
        VERIFY, {"code": code_for(bob_owes_a_code, steps_ahead=5)}, REMOTE_ADDR="203.0.113.7"
    )

    (failure,) = audited(AuditKind.SECOND_FACTOR)
    assert (failure.user, failure.result) == (bob, AuditResult.FAILURE)
    assert failure.source_address == "203.0.113.7"


def test_a_code_refused_under_the_throttle_is_audited(client, bob, bob_owes_a_code):
    with time_machine.travel(timezone.now(), tick=False):
        client.post(VERIFY, {"code": code_for(bob_owes_a_code, steps_ahead=5)})
        # Within the throttle's wait even the right code is refused, unchecked: still recorded.
        refused = client.post(VERIFY, {"code": code_for(bob_owes_a_code)})

    assert "错误次数过多" in refused.content.decode()
    wrong, throttled = audited(AuditKind.SECOND_FACTOR)
    assert (throttled.user, throttled.result) == (bob, AuditResult.FAILURE)
    assert throttled.detail["reason"] == "throttled"
    assert throttled.object_id == str(bob_owes_a_code.pk)
    assert client.get(INDEX)["Location"].startswith(VERIFY)


def test_a_lockout_is_audited(settings, alice):
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        Client().post(
            LOGIN, {"username": "alice", "password": "wrong-guess"}, REMOTE_ADDR="203.0.113.7"
        )

    (lockout,) = audited(AuditKind.LOCKOUT)
    assert (lockout.user, lockout.username, lockout.result) == (alice, "alice", "failure")
    assert lockout.source_address == "203.0.113.7"
    assert len(audited(AuditKind.LOGIN_FAILED)) == 3


# --- 17 (b): the export and dispatch pages ------------------------------------------------------


@pytest.mark.parametrize("who", ["aud", "sam"])
def test_administrators_who_see_no_project_open_no_export(as_user, project, aud, sam, who):
    client = as_user({"aud": aud, "sam": sam}[who])
    assert client.get(EXPORT).status_code == 403
    assert client.post(EXPORT, {"format": "0"}).status_code == 403
    assert client.get(DISPATCH).status_code == 403
    assert not audited(AuditKind.EXPORT)


def test_those_who_see_projects_export_them(as_user, project, alice, sysadmin):
    for person in (alice, sysadmin):
        client = as_user(person)
        assert client.get(EXPORT).status_code == 200
        dispatched = client.get(DISPATCH)
        assert dispatched.status_code == 200
        assert dispatched["Content-Disposition"].startswith("attachment;")


# --- 17 (c): an off-site next after login -----------------------------------------------------


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/admin/", "//evil.example/", "http:\\\\evil.example"]
)
def test_an_off_site_next_after_login_lands_on_the_index(client, alice, next_url):
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": next_url})

    assert (response.status_code, response["Location"]) == (302, INDEX)
    assert client.get(response["Location"]).status_code == 200


def test_an_off_site_next_lands_on_the_index_after_the_second_factor(settings, client, bob):
    settings.REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    sent = client.post(
        LOGIN, {"username": "bob", "password": PASSWORD, "next": "https://evil.example/"}
    )
    to_verify = client.get(sent["Location"])
    assert to_verify["Location"].startswith(VERIFY)

    proved = client.post(to_verify["Location"], {"code": code_for(device)})

    assert (proved.status_code, proved["Location"]) == (302, INDEX)


# --- 17 (d): passwords made of the user name ----------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "Alice@Desk-2026",  # the name inside, another case
        "alice-2026-ALICE!",
        "Ecila#2026-xyz",  # backwards
        "A.l.i.c.e-2026x",  # spelled out between symbols
        "ＡＬＩＣＥ-2026-x",  # full-width letters
    ],
)
def test_a_password_made_of_the_user_name_is_refused(alice, password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, alice)
    assert "密码不能包含用户名" in " ".join(refused.value.messages)


def test_a_short_user_name_is_refused_when_the_password_is_nothing_else(db):
    li = UserFactory(username="li")
    with pytest.raises(ValidationError):
        validate_password("Li-Li-2026-li!", li)
    validate_password("Liquid-Sun-2026", li)  # "li" inside a word is no copy of the name


def test_the_password_change_page_says_why_in_chinese(client, alice):
    client.force_login(alice)
    refused = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": PASSWORD,
            "new_password1": "Alice@Desk-2026",
            "new_password2": "Alice@Desk-2026",
        },
    )
    assert refused.status_code == 200
    assert "密码不能包含用户名" in refused.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_new_account_s_password_is_checked_against_its_name(as_user, sam):
    response = as_user(sam).post(
        USERS_ADD,
        {
            "username": "zhangwei",
            "password1": "Zhangwei@2026!",
            "password2": "Zhangwei@2026!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "密码不能包含用户名" in response.content.decode()
    assert not get_user_model().objects.filter(username="zhangwei").exists()


# --- 17 (e): look-alike user names ----------------------------------------------------------------


def add_account(client: Client, username: str):
    return client.post(
        USERS_ADD,
        {
            "username": username,
            "password1": "Qiye-Fuwu-2026!",
            "password2": "Qiye-Fuwu-2026!",
            "usable_password": "true",
        },
    )


@pytest.mark.parametrize(
    "look_alike, message",
    [
        ("b\u043eb", "混用"),  # a Cyrillic о between Latin letters: mixed scripts
        ("\u0430lice", "混用"),
        ("\u0430\u0441\u0435", "形近"),  # all Cyrillic, reads "ace" like the account ace
        ("a1ice", "形近"),  # digit one for l
        ("AIice", "形近"),  # capital I for l
        ("\uff41\uff43\uff45", "已存在"),  # full-width "ace": Django reads it as "ace"
        ("\uff41\uff11\uff49\uff43\uff45", "形近"),  # full-width "a1ice"
        ("bo\u0308b", "形近"),  # o with a combining diaeresis: böb, read as bob
    ],
)
def test_a_look_alike_user_name_is_refused_at_creation(
    as_user, sam, bob, alice, look_alike, message
):
    UserFactory(username="ace")
    before = get_user_model().objects.count()

    response = add_account(as_user(sam), look_alike)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert get_user_model().objects.count() == before


def test_renaming_an_account_to_a_look_alike_is_refused(as_user, sam, alice, bob):
    change = reverse("admin:auth_user_change", args=[alice.pk])
    data = {
        "username": "b\u043eb",
        "first_name": "艾丽",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on",
    }
    response = as_user(sam).post(change, data)

    assert response.status_code == 200
    assert "用户名不能混用" in response.content.decode()
    alice.refresh_from_db()
    assert alice.username == "alice"

    data["username"] = "alice"  # its own name is no look-alike of itself
    assert as_user(sam).post(change, data).status_code == 302


@pytest.mark.parametrize("name", ["zhang.wei-2", "张伟", "wang伟", "li_na@zone1", "Björn"])
def test_plain_user_names_are_accepted(as_user, sam, name):
    response = add_account(as_user(sam), name)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert get_user_model().objects.filter(username=name).exists()


def test_the_skeleton_reads_look_alikes_as_one_name():
    assert validators.skeleton("b\u043eb") == validators.skeleton("bob")
    assert validators.skeleton("rnary") == validators.skeleton("mary")
    assert validators.skeleton("A1ice") == validators.skeleton("alice")
    assert validators.skeleton("alice") != validators.skeleton("alina")


# --- 17 (f): check --deploy on weak authentication settings -----------------------------------


@pytest.fixture
def strong(db, settings):
    """The production values: every check of this section quiet."""
    settings.REQUIRE_2FA = True
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 20
    return settings


def deploy_warnings() -> list:
    return [*checks.second_factor_required(), *checks.passwords_long_enough(), *checks.lockout_on()]


def test_the_production_values_raise_no_warning(strong):
    assert deploy_warnings() == []


@pytest.mark.parametrize(
    "change, check_id, words",
    [
        ({"REQUIRE_2FA": False}, "projectdesk.W122", "REQUIRE_2FA"),
        (
            {"LOGIN_FAILURE_LIMIT": 1000, "LOGIN_FAILURE_LIMIT_PER_NAME": 1000},
            "projectdesk.W124",
            "LOGIN_FAILURE_LIMIT",
        ),
        (
            {"LOGIN_FAILURE_LIMIT_PER_NAME": 1000},
            "projectdesk.W124",
            "LOGIN_FAILURE_LIMIT_PER_NAME",
        ),
        ({"AXES_ENABLED": False}, "projectdesk.W124", "AXES_ENABLED"),
    ],
)
def test_weak_authentication_is_a_deploy_warning(strong, change, check_id, words):
    for name, value in change.items():
        setattr(strong, name, value)

    (warning,) = deploy_warnings()

    assert warning.id == check_id and words in warning.msg
    with pytest.raises(SystemCheckError, match=check_id):
        call_command(
            "check", "--deploy", "--fail-level", "WARNING", stdout=StringIO(), stderr=StringIO()
        )


@pytest.mark.parametrize("length", [1, 7])
def test_short_passwords_are_a_deploy_warning(strong, length):
    strong.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": length},
        }
    ]

    (warning,) = deploy_warnings()

    assert warning.id == "projectdesk.W123" and "PASSWORD_MIN_LENGTH" in warning.msg
    assert f"{length}" in warning.msg


def test_no_length_rule_at_all_is_a_deploy_warning(strong):
    strong.AUTH_PASSWORD_VALIDATORS = []
    (warning,) = deploy_warnings()
    assert warning.id == "projectdesk.W123"


def test_eight_characters_are_enough_for_the_check(strong):
    strong.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 8},
        }
    ]
    assert deploy_warnings() == []
