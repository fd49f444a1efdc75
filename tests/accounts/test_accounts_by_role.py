"""Accounts by role (issue 20, guide section 12 "People"): a role — in a zone, over a city, or
an administrator's — is what lets a person in; removing the last one locks the account out and
the audit log says who did it, when, and whose account it was. The login page says what went
wrong ("用户名或密码错误", "该账号尚未分配角色"), never "staff status"; without ``next`` a login
lands on the desk's home; the lockout page leads back to the login page. Groups and per-model
permissions are on no page: the user list shows roles and zones and filters by them, and the
system administrator grants roles on a person's page.

alice is an officer and bob a supervisor of 晋中开发区, charlie an officer of 祁县经开区
(tests/conftest.py); sam keeps security, sys keeps the configuration and the zone roles.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from approvals.access import permissions
from approvals.models import AuditEvent, AuditKind
from tests.factories import UserFactory, ZoneRoleFactory, administrator
from zones.models import Administrator, AdminRole, CityRole, Role, ZoneRole

PASSWORD = "secret-pass-123"  # tests/factories.py
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
USERS = reverse("admin:auth_user_changelist")
ADD_USER = reverse("admin:auth_user_add")
WRONG = "用户名或密码错误"
NO_ROLE = "该账号尚未分配角色"
#: Words of Django's own login refusal and user page that must not come back.
STAFF_WORDS = ("工作人员", "staff", "Staff")


@pytest.fixture
def sam(db):
    return administrator("sam", AdminRole.SECURITY)


@pytest.fixture
def sys(db):
    return administrator("sys", AdminRole.SYSTEM)


@pytest.fixture
def newcomer(db):
    """A new account, as the security administrator creates one: no role yet."""
    return UserFactory(username="newbie", first_name="新人", is_staff=False)


def log_in(username: str, password: str = PASSWORD, client: Client | None = None, **extra):
    client = client or Client()
    return client, client.post(LOGIN, {"username": username, "password": password}, **extra)


def page_text(response) -> str:
    return response.content.decode()


def change_page(person) -> str:
    return reverse("admin:auth_user_change", args=[person.pk])


def roles_formset(*rows: dict, initial: int = 0) -> dict:
    """The POST of a person's page as the system administrator sends it: its zone roles' and
    city roles' inline forms (the account's own fields are read-only to it)."""
    data = {
        "zone_roles-TOTAL_FORMS": str(len(rows)),
        "zone_roles-INITIAL_FORMS": str(initial),
        "zone_roles-MIN_NUM_FORMS": "0",
        "zone_roles-MAX_NUM_FORMS": "1000",
        "city_roles-TOTAL_FORMS": "0",
        "city_roles-INITIAL_FORMS": "0",
        "city_roles-MIN_NUM_FORMS": "0",
        "city_roles-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"zone_roles-{i}-{key}": value for key, value in row.items()})
    return data


def staff_changes(person) -> list[AuditEvent]:
    """The audit records of a change of ``person``'s staff flag (not its account's creation or
    its password, which the factory's save records too)."""
    records = AuditEvent.objects.filter(
        kind=AuditKind.PERMISSION, object_type="auth.User", object_id=str(person.pk)
    )
    return [r for r in records if "is_staff" in r.detail.get("changed", {})]


# --- a role lets a person in ---------------------------------------------------------------------


def test_granting_a_role_on_the_persons_page_lets_it_in(as_user, sys, newcomer, zone):
    _, before = log_in("newbie")
    assert NO_ROLE in page_text(before)

    response = as_user(sys).post(
        change_page(newcomer),
        roles_formset({"id": "", "user": newcomer.pk, "zone": zone.pk, "role": Role.OFFICER}),
    )
    assert response.status_code == 302, page_text(response)[:3000]

    newcomer.refresh_from_db()
    assert newcomer.is_staff
    client, after = log_in("newbie")
    assert after.status_code == 302 and after["Location"] == INDEX
    assert client.get(INDEX).status_code == 200


def test_removing_the_last_role_locks_the_account_out_and_is_audited(as_user, sys, alice):
    _, before = log_in("alice")
    assert before.status_code == 302
    held = ZoneRole.objects.get(user=alice)
    row = {"id": held.pk, "user": alice.pk, "zone": held.zone_id, "role": held.role}
    at = dt.datetime(2026, 12, 6, 9, 30, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        response = as_user(sys).post(
            change_page(alice), roles_formset({**row, "DELETE": "on"}, initial=1)
        )
    assert response.status_code == 302, page_text(response)[:3000]
    assert not ZoneRole.objects.filter(user=alice).exists()

    alice.refresh_from_db()
    assert not alice.is_staff
    client, refused = log_in("alice")
    assert refused.status_code == 200 and NO_ROLE in page_text(refused)
    assert client.get(INDEX).status_code == 302  # not in

    locked = staff_changes(alice)
    assert len(locked) == 1
    locked = locked[0]
    assert locked.user == sys  # who removed it
    assert locked.at == at  # when
    assert locked.object_repr == "艾丽（alice）"  # whose account
    assert locked.detail == {"changed": {"is_staff": [True, False]}, "reason": "no role left"}


def test_removing_one_of_two_roles_keeps_the_account_in(alice, other_zone):
    ZoneRoleFactory(user=alice, zone=other_zone, role=Role.OFFICER)
    ZoneRole.objects.filter(user=alice, zone=other_zone).delete()
    alice.refresh_from_db()
    assert alice.is_staff
    assert staff_changes(alice) == []


def test_a_city_role_and_an_administrator_role_let_a_person_in_too(newcomer, zone):
    role = CityRole.objects.create(user=newcomer, city=zone.city)
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    role.delete()
    newcomer.refresh_from_db()
    assert not newcomer.is_staff
    Administrator.objects.create(user=newcomer, role=AdminRole.AUDIT)
    newcomer.refresh_from_db()
    assert newcomer.is_staff


def test_a_role_moved_to_another_person_locks_the_first_out(alice, newcomer):
    held = ZoneRole.objects.get(user=alice)
    held.user = newcomer
    held.save()
    alice.refresh_from_db()
    newcomer.refresh_from_db()
    assert (alice.is_staff, newcomer.is_staff) == (False, True)


@pytest.mark.parametrize("superuser_powers", [True, False])
def test_who_holds_a_role_agrees_as_object_and_as_query(db, settings, zone, superuser_powers):
    settings.SUPERUSER_POWERS = superuser_powers
    people = {
        "none": UserFactory(username="p-none", is_staff=False),
        "zone": UserFactory(username="p-zone"),
        "city": UserFactory(username="p-city"),
        "admin": UserFactory(username="p-admin"),
        "root": UserFactory(username="p-root", is_superuser=True),
        "two": UserFactory(username="p-two"),
    }
    ZoneRoleFactory(user=people["zone"], zone=zone, role=Role.LEADER)
    CityRole.objects.create(user=people["city"], city=zone.city)
    Administrator.objects.create(user=people["admin"], role=AdminRole.SYSTEM)
    ZoneRoleFactory(user=people["two"], zone=zone, role=Role.OFFICER)
    ZoneRoleFactory(user=people["two"], zone=zone, role=Role.STATISTICIAN)
    fresh = get_user_model().objects.filter(pk__in=[p.pk for p in people.values()])

    as_objects = {u.username for u in fresh if permissions.holds_a_role(u)}
    as_query = set(permissions.role_holders(fresh).values_list("username", flat=True))
    assert as_objects == as_query
    expected = {"p-zone", "p-city", "p-admin", "p-two"} | (
        {"p-root"} if superuser_powers else set()
    )
    assert as_query == expected


def test_the_migration_sets_staff_right_for_existing_accounts(db, zone):
    in_without_role = UserFactory(username="old-staff")  # staff, no role
    out_with_role = UserFactory(username="old-officer")
    ZoneRoleFactory(user=out_with_role, zone=zone)
    get_user_model().objects.filter(pk=out_with_role.pk).update(is_staff=False)  # as before

    migration = importlib.import_module("zones.migrations.0005_staff_follows_roles")
    migration.staff_follows_roles(django_apps, None)

    in_without_role.refresh_from_db()
    out_with_role.refresh_from_db()
    assert (in_without_role.is_staff, out_with_role.is_staff) == (False, True)


# --- the login page's words ----------------------------------------------------------------------


def test_a_wrong_password_says_user_name_or_password_wrong(alice, newcomer):
    for name in ("alice", "newbie", "nobody"):  # with a role, without one, unknown
        _, response = log_in(name, "wrong-guess")
        text = page_text(response)
        assert response.status_code == 200
        assert WRONG in text, name
        assert NO_ROLE not in text, name  # a wrong password never learns of the role
        assert "请更正" not in text, name  # nothing but why it was refused
        assert not any(word in text for word in STAFF_WORDS), name


def test_the_right_password_of_an_account_without_a_role_says_so(newcomer):
    client, response = log_in("newbie")
    text = page_text(response)
    assert NO_ROLE in text
    assert WRONG not in text
    assert not any(word in text for word in STAFF_WORDS)
    assert client.get(INDEX).status_code == 302  # not in


def test_a_deactivated_account_is_answered_like_a_wrong_password(alice):
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    _, response = log_in("alice")
    assert WRONG in page_text(response) and NO_ROLE not in page_text(response)


# --- where a login lands -------------------------------------------------------------------------


def test_a_login_without_next_lands_on_the_home(alice):
    client = Client()
    assert client.get(LOGIN).status_code == 200
    response = client.post(LOGIN, {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.redirect_chain == [(INDEX, 302)]
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == INDEX


def test_the_lockout_pages_link_leads_to_the_login_page_and_on_to_the_home(alice, settings):
    settings.AXES_ENABLED = True
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 5
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = Client()
        for _ in range(3):
            _, locked = log_in("alice", "wrong-guess", client=client, REMOTE_ADDR="10.0.0.1")
        assert locked.status_code == 429
        links = re.findall(r'<a href="([^"]+)"', page_text(locked))
        assert LOGIN in links
        assert "/accounts/" not in page_text(locked)

        back = client.get(LOGIN)
        assert back.status_code == 200 and 'id="login-form"' in page_text(back)

        clock.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1))
        action = re.search(r'<form action="([^"]+)"', page_text(back)).group(1)
        response = client.post(
            action, {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
        )
        assert response.status_code == 302 and response["Location"] == INDEX


# --- groups and per-model permissions on no page -------------------------------------------------

#: What Django's user admin shows of groups, per-model permissions and the flags that follow the
#: roles (fields, filters, the group pages), in Chinese and in English.
HIDDEN = (
    'name="groups"',
    'name="user_permissions"',
    'name="is_staff"',
    'name="is_superuser"',
    "groups__id__exact",
    "is_staff__exact",
    "is_superuser__exact",
    "/admin/auth/group/",
    "工作人员状态",
    "超级用户状态",
    "用户权限",
    "Can add",
    "Can change",
    "Staff status",
)


def assert_nothing_hidden_shown(response, where: str) -> None:
    assert response.status_code == 200, where
    text = page_text(response)
    shown = [word for word in HIDDEN if word in text]
    assert shown == [], where


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.mark.parametrize("keeper", ["sam", "sys", "root"])
def test_groups_and_permissions_are_on_no_user_page(request, as_user, keeper, alice, zone):
    client = as_user(request.getfixturevalue(keeper))
    listed = client.get(USERS)
    assert_nothing_hidden_shown(listed, "list")
    filters = page_text(listed)
    assert "有角色" in filters and "无角色" in filters  # the list filters by role…
    assert f"zone={zone.pk}" in filters  # …and by zone
    assert_nothing_hidden_shown(client.get(change_page(alice)), "change page")
    if keeper != "sys":  # the system administrator creates no account
        assert_nothing_hidden_shown(client.get(ADD_USER), "add page")
    else:
        assert client.get(ADD_USER).status_code == 403


def test_the_group_pages_are_gone(as_user, root):
    assert as_user(root).get("/admin/auth/group/").status_code == 404
    assert "/admin/auth/group/" not in page_text(as_user(root).get(INDEX))


# --- the user list and page: roles and zones -----------------------------------------------------


def test_the_user_list_shows_roles_and_zones_and_filters_by_them(
    as_user, sam, alice, bob, charlie, newcomer, zone
):
    UserFactory(username="stale")  # staff from before roles let people in, holding none
    CityRole.objects.create(user=UserFactory(username="cindy"), city=zone.city)
    client = as_user(sam)
    listed = client.get(USERS)
    text = page_text(listed)
    assert "代办员 · 综改区晋中开发区" in text and "综改区晋中开发区" in text

    def names(query: str) -> set[str]:
        page = client.get(f"{USERS}?{query}")
        assert page.status_code == 200, query
        return {person.username for person in page.context["cl"].result_list}

    assert names("role=none") == {"newbie", "stale"}  # the roles, not the flag
    assert names("role=any") == {"alice", "bob", "charlie", "cindy"}
    assert names(f"role={Role.CITY_SUPERVISOR}") == {"cindy"}
    assert names(f"role={Role.SUPERVISOR}") == {"bob"}
    assert names(f"zone={zone.pk}") == {"alice", "bob", "cindy"}  # cindy: over its city


def test_the_system_administrator_grants_roles_but_keeps_no_account(as_user, sys, alice):
    client = as_user(sys)
    page = client.get(change_page(alice))
    assert page.status_code == 200
    assert 'name="zone_roles-TOTAL_FORMS"' in page_text(page)  # the roles it grants
    # the account's details: read only (Django's password field is always a read-only one)
    form = page.context["adminform"].form
    assert [name for name, field in form.fields.items() if not field.disabled] == []

    held = ZoneRole.objects.get(user=alice)
    row = {"id": held.pk, "user": alice.pk, "zone": held.zone_id, "role": held.role}
    client.post(
        change_page(alice),
        {**roles_formset(row, initial=1), "first_name": "改名", "is_active": ""},
    )
    alice.refresh_from_db()
    assert (alice.first_name, alice.is_active) == ("艾丽", True)
    password = reverse("admin:auth_user_password_change", args=[alice.pk])
    assert client.get(password).status_code == 403
    response = client.post(password, {"password1": "x-New-pass-99", "password2": "x-New-pass-99"})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_the_security_administrator_grants_no_role(as_user, sam, alice):
    page = as_user(sam).get(change_page(alice))
    assert page.status_code == 200
    assert "zone_roles-TOTAL_FORMS" not in page_text(page)
    assert "代办员 · 综改区晋中开发区" in page_text(page)  # but reads them
