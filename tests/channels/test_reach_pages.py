"""我的提醒方式 and the person's page (issue 23): whoever holds a role chooses where its reminders
reach it besides the inbox (always on, the page says so); SMS is said to reach leaders and red
items only; the system administrator sets the same on a person's page, the security
administrator only the work phone there, and saving that leaves the choices as they were."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Profile
from approvals.access import permissions
from tests.admin_helpers import change_form_data
from tests.channels import conftest_admin
from tests.factories import UserFactory, administrator
from zones.models import AdminRole

pytestmark = pytest.mark.django_db
# The channel pages' fixtures (tests/channels/conftest_admin.py), by name.
channel_keeper = conftest_admin.channel_keeper

MINE = reverse("admin:my_channels")


def test_a_person_chooses_where_its_reminders_reach_it(as_user, lily):
    page = as_user(lily)
    shown = page.get(MINE).content.decode()
    assert "每条提醒都会进入您在系统内的消息" in shown
    assert "短信只发给领导，且仅限红色事项" in shown
    answer = page.post(
        MINE,
        {
            "mobile": "+86 139-1234-5678",
            "wecom_userid": "LiLi",
            "by_wecom": "on",
            "in_groups": "on",
        },
    )
    assert answer.status_code == 302
    profile = Profile.objects.get(user=lily)
    assert (profile.mobile, profile.wecom_userid) == ("13912345678", "LiLi")
    assert (profile.by_email, profile.by_wecom, profile.by_sms, profile.in_groups) == (
        False,
        True,
        False,
        True,
    )


def test_it_refuses_what_is_no_mobile_number_or_wecom_account(as_user, alice):
    page = as_user(alice)
    answer = page.post(MINE, {"mobile": "0354-1234567", "wecom_userid": "艾丽 丽"})
    assert answer.status_code == 200
    shown = answer.content.decode()
    assert "手机号为 11 位数字" in shown
    assert "企业微信账号即成员在企业微信中的账号" in shown
    assert not Profile.objects.filter(user=alice).exists()


def test_the_page_is_for_who_holds_a_role(client, as_user):
    nobody = UserFactory(username="nobody")
    assert as_user(nobody).get(MINE).status_code == 403
    assert not permissions.may_set_reach(nobody, nobody)


def test_nobody_sets_another_persons_choices_but_the_system_administrator(
    alice, bob, channel_keeper
):
    security = administrator("安全管理员", AdminRole.SECURITY)
    assert permissions.may_set_reach(channel_keeper, alice)
    for person in (bob, security):
        assert not permissions.may_set_reach(person, alice)


def test_the_system_administrator_sets_them_on_the_persons_page(as_user, channel_keeper, lily):
    page = as_user(channel_keeper)
    url = reverse("admin:auth_user_change", args=[lily.pk])
    data = change_form_data(page, url)
    data.update(
        {
            "profile-0-mobile": "13800001111",
            "profile-0-wecom_userid": "lily",
            "profile-0-by_sms": "on",
        }
    )
    answer = page.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    profile = Profile.objects.get(user=lily)
    assert (profile.mobile, profile.wecom_userid, profile.by_sms, profile.by_email) == (
        "13800001111",
        "lily",
        True,
        False,
    )


def test_the_security_administrator_keeps_the_work_phone_only(as_user, lily):
    Profile.objects.create(user=lily, mobile="13800001111", wecom_userid="lily", by_sms=True)
    security = administrator("安全管理员", AdminRole.SECURITY)
    page = as_user(security)
    url = reverse("admin:auth_user_change", args=[lily.pk])
    shown = page.get(url).content.decode()
    assert "profile-0-work_phone" in shown and "profile-0-mobile" not in shown
    data = change_form_data(page, url)
    data["profile-0-work_phone"] = "0354-3030303"
    assert page.post(url, data).status_code == 302
    profile = Profile.objects.get(user=lily)
    assert profile.work_phone == "0354-3030303"
    assert (profile.mobile, profile.wecom_userid, profile.by_sms) == ("13800001111", "lily", True)
