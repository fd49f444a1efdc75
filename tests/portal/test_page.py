"""The investor's page (issue 22): a link shows its enterprise's projects and nothing else, an
expired or revoked link shows a polite page and nothing of any project, every visit is audited,
and the page's queries do not grow with the checklist."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse

from approvals.models import ApprovalItem, ApprovalType, AuditEvent, AuditKind, AuditResult, Mode
from portal import urls as portal_urls
from portal.links import investor_link_make, investor_link_revoke
from portal.models import LINK_DAYS, InvestorLink
from tests.admin.test_no_english import english_in
from tests.factories import ProjectFactory
from tests.portal.world import MARKER, TODAY

BEIJING = ZoneInfo("Asia/Shanghai")


#: The portal's day, frozen (tests/portal/conftest.py), and the world of its two enterprises.
pytestmark = pytest.mark.usefixtures("today")


def page_url(token: str) -> str:
    return reverse("portal:page", args=[token])


def portal_routes() -> list[str]:
    """Every route the portal's URLconf holds (a view added later is walked too)."""
    routes = []
    for entry in portal_urls.urlpatterns:
        assert isinstance(entry, URLPattern), entry
        routes.append(entry.name)
    return routes


def walk(client, token: str, world) -> list[tuple[str, int, str]]:
    """GET and POST every portal address of ``token`` (the request posts about the other
    enterprise's project, as a forged form would)."""
    seen = []
    for name in portal_routes():
        url = reverse(f"portal:{name}", args=[token])
        for method in ("get", "post"):
            data = {"project": world.other_project.pk, "text": "帮忙", "category": "other"}
            response = getattr(client, method)(url, data if method == "post" else None)
            seen.append(
                (f"{method.upper()} {url}", response.status_code, response.content.decode())
            )
    return seen


def test_the_page_shows_the_timeline_checklist_asks_and_officer_in_chinese(client, world):
    response = client.get(page_url(world.link.token))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "山西晋能新材料有限公司",
        "年产5万吨碳纤维项目",
        "碳纤维复合材料二期项目",
        # the timeline, in words
        "签约",
        "已于 2025年4月7日 完成",
        "计划 2025年12月31日",
        "2026年6月",
        "开工，计划 2025年12月31日",  # the next milestone
        # the officer and its work phone
        "艾丽",
        "0354-3012345",
        # the checklist, in words
        "用地预审与选址意见书",
        "容缺",
        "建设用地规划许可证",
        "正在准备申报材料",
        # what is expected of the enterprise next
        "请于 2025年9月30日 前补齐“用地预审与选址意见书”的容缺材料",
        "请向项目管家提供“建设用地规划许可证”的申报材料",
        "请签署“节能审查”的告知承诺书",
    ):
        assert text in html, text
    assert english_in(html) == set()
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )


def test_a_link_of_enterprise_a_never_shows_enterprise_bs_project(client, world):
    seen = walk(client, world.link.token, world)
    assert {status for _, status, _ in seen} <= {200, 302, 400, 405}
    for what, _status, html in seen:
        assert MARKER not in html, what
        assert "祁县" not in html, what
    # the forged post opened nothing on enterprise B's project
    assert not world.other_project.problems.exists()
    # and B's own link shows B's project, not A's
    html = client.get(page_url(world.other_link.token)).content.decode()
    assert f"{MARKER}-年产10万吨焦化项目" in html
    assert "碳纤维" not in html and "晋能" not in html


def test_a_link_past_its_ninety_days_shows_the_polite_page_only(client, world):
    made = InvestorLink.objects.get(pk=world.link.link.pk)
    assert made.expires_at - made.created_at == dt.timedelta(days=LINK_DAYS)
    still = dt.datetime.combine(TODAY + dt.timedelta(days=LINK_DAYS - 1), dt.time(10), BEIJING)
    with time_machine.travel(still, tick=False):
        assert client.get(page_url(world.link.token)).status_code == 200
    later = dt.datetime.combine(TODAY + dt.timedelta(days=LINK_DAYS + 1), dt.time(10), BEIJING)
    with time_machine.travel(later, tick=False):
        seen = walk(client, world.link.token, world)
    for what, status, html in seen:
        if status == 405:  # the wrong method of an address (GET of the request): no body
            assert html == "", what
            continue
        assert status == 410, what
        assert "链接已过期" in html, what
        for secret in ("晋能", "碳纤维", MARKER, "艾丽", "0354"):
            assert secret not in html, (what, secret)
        assert english_in(html) == set()
    assert not world.project.problems.exists()


def test_a_revoked_link_shows_the_polite_page_only(client, world, alice):
    assert investor_link_revoke(link=world.link.link, by=alice)
    for what, status, html in walk(client, world.link.token, world):
        if status == 405:  # the wrong method of an address (GET of the request): no body
            assert html == "", what
            continue
        assert status == 410, what
        assert "链接已被收回" in html, what
        for secret in ("晋能", "碳纤维", MARKER):
            assert secret not in html, (what, secret)


def test_a_new_link_for_the_same_contact_replaces_the_old(client, world, alice):
    newer = investor_link_make(
        enterprise=world.enterprise, contact_name="王经理", contact_phone="138 0000 0001", by=alice
    )
    old = client.get(page_url(world.link.token))
    assert old.status_code == 410 and "碳纤维" not in old.content.decode()
    assert client.get(page_url(newer.token)).status_code == 200
    assert InvestorLink.objects.live().filter(enterprise=world.enterprise).count() == 1


def test_a_token_nobody_made_opens_nothing(client, world):
    response = client.get(page_url("x" * 32))
    assert response.status_code == 404
    assert "链接无效" in response.content.decode()
    assert "碳纤维" not in response.content.decode()


def test_every_visit_is_audited(client, world, alice):
    client.get(page_url(world.link.token))
    client.post(
        reverse("portal:request", args=[world.link.token]),
        {"project": world.project.pk, "text": "请协调办理施工用电", "category": "energy"},
    )
    investor_link_revoke(link=world.link.link, by=alice)
    client.get(page_url(world.link.token))
    client.get(page_url("nobody-made-this-token"))
    visits = list(AuditEvent.objects.filter(kind=AuditKind.INVESTOR_VISIT).order_by("pk"))
    assert [
        (v.result, v.detail.get("page"), v.detail.get("action"), v.detail.get("reason"))
        for v in visits
    ] == [
        (AuditResult.SUCCESS, "page", "page viewed", None),
        (AuditResult.SUCCESS, "request", "request sent", None),
        (AuditResult.FAILURE, "page", None, "revoked"),
        (AuditResult.FAILURE, "page", None, "unknown link"),
    ]
    assert visits[0].username == "王经理"
    assert visits[0].object_id == str(world.link.link.pk)
    assert visits[0].source_address == "127.0.0.1"
    made = AuditEvent.objects.filter(kind=AuditKind.INVESTOR_LINK).values_list("detail", flat=True)
    assert {d["action"] for d in made} == {"link made", "link revoked"}


def _page_queries(client, token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(token)).status_code == 200
    return len(queries)


def test_the_page_reads_as_many_queries_for_30_items_as_for_3(client, db, zone, alice, catalogue):
    types = list(ApprovalType.objects.order_by("sort_order"))
    counts = []
    for n, name in ((3, "三项企业"), (30, "三十项企业")):
        projects = [
            ProjectFactory(zone=zone, officer=alice, enterprise__name=name) for _ in range(2)
        ]
        for i in range(n):  # spread over the two projects, each item of its own type
            ApprovalItem.objects.create(
                project=projects[i % 2], approval_type=types[i // 2], mode=Mode.APPROVAL
            )
        made = investor_link_make(
            enterprise=projects[0].enterprise, contact_name="张三", contact_phone=str(n), by=alice
        )
        counts.append(_page_queries(client, made.token))
    assert ApprovalItem.objects.count() == 33
    assert counts[0] == counts[1], counts
