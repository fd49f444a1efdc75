"""The admin's face is django-unfold's: a sidebar grouped by what each role does, in Chinese, whose
every link opens for the person it is shown to; pages that load nothing from another site."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib import admin
from django.test import RequestFactory, override_settings
from django.urls import path, reverse

from projectdesk import unfold as sidebar

INDEX = reverse("admin:index")
GROUPS = [
    "我的待办",
    "项目",
    "审批事项",
    "待审批",
    "导入导出",
    "报表",
    "设置",
    "账户与安全",
    "安全审计",
]
ROLES = ["officer", "supervisor", "leader", "statistician", "administrator"]
#: The three administrators kept apart (三权分立): each its own group of the sidebar.
ADMINISTRATORS = {"system": "设置", "security": "账户与安全", "audit": "安全审计"}


@pytest.fixture
def people(alice, bob, lily, stan, superuser, project) -> dict:
    project.leader = lily
    project.save()
    return {
        "officer": alice,
        "supervisor": bob,
        "leader": lily,
        "statistician": stan,
        "administrator": superuser,
        **{role: _administrator(role) for role in ADMINISTRATORS},
    }


def _administrator(role: str):
    from tests.factories import UserFactory
    from zones.models import Administrator

    user = UserFactory(username=f"{role}-admin")
    Administrator.objects.create(user=user, role=role)
    return user


def nav(html: str) -> str:
    """The sidebar's groups and links (unfold's #nav-sidebar-apps), without the administrators'
    "all applications" panel and the person's menu that follow them."""
    start = html.index('id="nav-sidebar-apps"')
    ends = [html.find(m, start) for m in ("openAllApplications", "openUserLinks")]
    return html[start : min(e for e in ends if e > 0)]


def groups(html: str) -> list[str]:
    """The titles of the groups with a link in them (unfold hides a group left empty)."""
    blocks = re.findall(r"<h2[^>]*>\s*([^<]*?)\s*<(.*?)</ol>", nav(html), flags=re.S)
    return [unescape(title).strip() for title, items in blocks if "<li>" in items]


def links(html: str) -> dict[str, str]:
    """Link title → address, as the sidebar shows them."""
    found = re.findall(r'<a href="([^"]+)"[^>]*>.*?<span>([^<]*)</span>', nav(html), flags=re.S)
    return {unescape(title).strip(): unescape(href) for href, title in found}


def sidebar_of(client) -> str:
    response = client.get(INDEX)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", [*ROLES, *ADMINISTRATORS])
def test_every_page_of_the_sidebar_opens_in_unfolds_face_for_each_role(as_user, people, role):
    client = as_user(people[role])
    shown = links(sidebar_of(client))
    assert shown, role
    for title, href in shown.items():
        response = client.get(href, follow=True)
        assert response.status_code == 200, f"{role}: {title} {href} → {response.status_code}"
        page = response.content.decode()
        assert 'id="nav-sidebar"' in page and "unfold/css/styles.css" in page, href
        assert groups(page)[0] == "我的待办", href  # the sidebar, in Chinese, on every page


@pytest.mark.parametrize("role", [*ROLES, *ADMINISTRATORS])
def test_the_sidebar_is_in_chinese(as_user, people, role):
    html = sidebar_of(as_user(people[role]))
    assert set(groups(html)) <= set(GROUPS)
    english = [t for t in [*groups(html), *links(html)] if re.fullmatch(r"[A-Za-z ()]+", t)]
    assert english == []


@pytest.mark.parametrize(
    ("role", "decides", "administers"),
    [
        ("officer", False, False),
        ("supervisor", True, False),
        ("leader", False, False),
        ("statistician", False, False),
        ("administrator", True, True),
    ],
)
def test_settings_are_for_administrators_and_the_queue_for_deciders(
    as_user, people, role, decides, administers
):
    html = sidebar_of(as_user(people[role]))
    shown = groups(html)
    assert ("设置" in shown) is administers
    assert ("待审批" in shown) is decides
    queue = reverse("admin:approvals_stagerequest_changelist") + sidebar.QUEUE_QUERY
    assert (queue in links(html).values()) is decides
    assert ("/admin/auth/user/" in html) is administers
    # the people's list once, even for who both grants roles and keeps accounts
    assert nav(html).count('href="/admin/auth/user/"') == (1 if administers else 0)


@pytest.mark.parametrize("role", ADMINISTRATORS)
def test_each_administrator_sees_its_own_group_and_no_others(as_user, people, role):
    shown = groups(sidebar_of(as_user(people[role])))
    for other, group in ADMINISTRATORS.items():
        assert (group in shown) is (other == role), (role, group)
    # the system administrator reads every project; the other two open no casework at all
    assert ("项目" in shown) is (role == "system")
    assert "待审批" not in shown
    imports = reverse("admin:approvals_project_spreadsheet_import")
    assert imports not in links(sidebar_of(as_user(people[role]))).values()


def test_the_administrators_links_lead_to_their_own_pages(as_user, people):
    hrefs = {
        role: set(links(sidebar_of(as_user(people[role]))).values()) for role in ADMINISTRATORS
    }
    users = reverse("admin:auth_user_changelist")
    zone_roles = reverse("admin:zones_zonerole_changelist")
    audit_log = reverse("admin:approvals_auditevent_changelist")
    # the system administrator opens the people's list to grant their roles (issue 20)
    assert users in hrefs["security"] and users in hrefs["system"] and users not in hrefs["audit"]
    assert zone_roles in hrefs["system"] and zone_roles not in hrefs["security"] | hrefs["audit"]
    assert audit_log in hrefs["audit"] and audit_log not in hrefs["system"] | hrefs["security"]


def test_each_role_finds_its_work_in_the_sidebar(as_user, people):
    officer = links(sidebar_of(as_user(people["officer"])))
    assert officer["项目"] == reverse("admin:approvals_project_changelist")
    assert officer["我的提醒"] == reverse("admin:approvals_reminder_changelist")
    assert officer["“三个一批”清单导入"] == reverse("admin:approvals_project_spreadsheet_import")
    assert officer["报表"] == reverse("admin:reports")
    leader = links(sidebar_of(as_user(people["leader"])))
    assert "“三个一批”清单导入" not in leader  # a leader reads, imports nothing
    assert "项目" in leader and "审批事项" in leader


def test_no_page_loads_a_script_or_a_stylesheet_from_another_site(as_user, people):
    client = as_user(people["administrator"])
    pages = [*links(sidebar_of(client)).values(), reverse("admin:login")]
    for url in pages:
        page = client.get(url, follow=True).content.decode()
        external = re.findall(
            r'<(?:script|link)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]*)"', page, re.I
        )
        assert external == [], url
    client.logout()
    login = client.get(reverse("admin:login")).content.decode()
    assert 'id="login-form"' in login and "unfold/css/styles.css" in login
    assert not re.search(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//', login)


# The reports page's link reverses "admin:reports" when the menu is drawn, and hides itself
# where no such page exists.
urlpatterns = [path("admin/", admin.site.urls)]


def test_the_reports_link_hides_where_there_is_no_reports_page(people):
    request = RequestFactory().get(INDEX)
    request.user = people["statistician"]
    assert sidebar.may_see_reports(request) and sidebar.reports_link(request)
    with override_settings(ROOT_URLCONF=__name__):
        assert not sidebar.may_see_reports(request)
        assert sidebar.reports_link(request) == ""


def test_a_refusal_is_a_page_of_the_admin(as_user, people):
    response = as_user(people["officer"]).get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page and groups(page)[0] == "我的待办"
    assert "--color-primary-600" in page  # the theme's colours, which only the admin's context has
