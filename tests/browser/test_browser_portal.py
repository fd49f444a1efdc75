"""The investor's page (issue 22) in a real browser at a phone's size, in Chinese, as WeChat's
browser opens it: the timeline and checklist of the enterprise's own project; a request for
help (诉求) sent from the phone arriving on the officer's problem list; a link for one
enterprise never showing another's project; an expired and a revoked link showing nothing; and
the officer making the link on the enterprise's page (a QR code, shown once).

Screenshots go to test-artifacts/ (portal-*.png). The browser and its fixtures:
``tests/browser_support.py``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from approvals.models import Problem, ProblemSource
from portal.links import investor_link_revoke
from tests.browser_support import ARTIFACTS, TIMEOUT_MS, screenshot
from tests.portal.world import MARKER, build

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: An iPhone's screen in WeChat's browser.
PHONE = {"width": 390, "height": 844}
WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003130) NetType/WIFI "
    "Language/zh_CN"
)


@pytest.fixture
def world(catalogue, zone, other_zone, alice, charlie):
    return build(zone, other_zone, alice, charlie)


@pytest.fixture
def phone(browser, live_server):
    """A phone's page, in Chinese, that records what the browser's console says."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=WECHAT,
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.console_messages = []
    tab.on("console", lambda message: tab.console_messages.append(message.text))
    yield tab
    context.close()


def shot(page: Page, name: str) -> None:
    screenshot(page, name)


def portal(token: str) -> str:
    return reverse("portal:page", args=[token])


def fits_the_phone(page: Page) -> None:
    """Nothing wider than the screen (no sideways scrolling), the stylesheet applied, and no
    refusal of the Content-Security-Policy in the console."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(243, 244, 246)", background  # portal.css, served as a file
    assert not [m for m in page.console_messages if "Content Security Policy" in m]


def test_the_investor_reads_its_projects_timeline_and_checklist_on_a_phone(phone, world):
    phone.goto(portal(world.link.token))
    expect(phone.locator("#enterprise")).to_have_text("山西晋能新材料有限公司")
    project = phone.locator(f"#project-{world.project.pk}")
    expect(project.locator("h2")).to_have_text("年产5万吨碳纤维项目")
    timeline = project.locator(".timeline .step")
    expect(timeline).to_have_count(5)
    expect(timeline.nth(0)).to_contain_text("签约")
    expect(timeline.nth(0)).to_contain_text("已于 2025年4月7日 完成")
    expect(timeline.nth(0)).to_have_class(re.compile(r"\bdone\b"))
    expect(timeline.nth(2)).to_contain_text("开工")
    expect(timeline.nth(2)).to_contain_text("2025年12月31日")
    expect(project.locator(".officer")).to_contain_text("艾丽")
    expect(project.locator('.officer a[href="tel:0354-3012345"]')).to_be_visible()
    lx03 = project.locator(".item", has_text="用地预审与选址意见书")
    expect(lx03.locator(".badge")).to_have_text("已受理")
    expect(project.locator(".asks")).to_contain_text("容缺材料")
    expect(project.locator(".asks")).to_contain_text("告知承诺书")
    fits_the_phone(phone)
    shot(phone, "portal-page.png")
    phone.screenshot(path=ARTIFACTS / "portal-page-first-screen.png")  # what the phone shows first


def test_a_request_for_help_arrives_on_the_officers_problem_list(phone, world, as_user):
    phone.goto(portal(world.link.token))
    form = phone.locator("#requests form")
    form.locator("select[name=project]").select_option(str(world.project.pk))
    form.locator("select[name=category]").select_option("energy")
    form.locator("textarea[name=text]").fill("施工临时用电报装进度慢，请帮忙协调供电公司")
    form.get_by_role("button", name="提交").click()
    expect(phone.locator("#sent")).to_contain_text("您的诉求已送达项目管家")
    expect(phone.locator(f"#project-{world.project.pk} .requests")).to_contain_text(
        "已收到，待办理"
    )
    fits_the_phone(phone)
    shot(phone, "portal-request-sent.png")
    problem = Problem.objects.get()
    assert (problem.source, problem.project) == (ProblemSource.ENTERPRISE, world.project)

    officer = as_user(world.project.officer)  # the desk's own page (a desktop's width)
    officer.goto(reverse("admin:approvals_problem_changelist") + "?queue=mine")
    row = officer.locator("#result_list tbody tr", has_text="施工临时用电报装进度慢")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("年产5万吨碳纤维项目")
    shot(officer, "portal-officer-problems.png")
    officer.goto(reverse("admin:approvals_problem_change", args=[problem.pk]))
    expect(officer.locator("body")).to_contain_text("企业诉求")
    expect(officer.locator("body")).to_contain_text("王经理 13800000001")


def test_a_link_for_one_enterprise_never_shows_anothers_project(phone, world):
    phone.goto(portal(world.link.token))
    expect(phone.locator(".project")).to_have_count(2)
    body = phone.locator("body").inner_text()
    assert MARKER not in body and "焦化" not in body and "祁县" not in body
    options = phone.locator("select[name=project] option").all_inner_texts()
    assert sorted(options) == sorted(["年产5万吨碳纤维项目", "碳纤维复合材料二期项目"])
    phone.goto(portal(world.other_link.token))
    expect(phone.locator(".project")).to_have_count(1)
    expect(phone.locator(".project h2")).to_contain_text("焦化项目")
    assert "碳纤维" not in phone.locator("body").inner_text()
    shot(phone, "portal-other-enterprise.png")


def polite(page: Page, reason: str) -> None:
    expect(page.locator("#closed h1")).to_have_text("链接无法打开")
    expect(page.locator("#closed .reason")).to_have_text(reason)
    body = page.locator("body").inner_text()
    for secret in ("晋能", "碳纤维", "焦化", MARKER, "艾丽", "0354"):
        assert secret not in body, secret
    fits_the_phone(page)


def test_an_expired_link_shows_nothing_of_any_project(phone, world):
    later = timezone.now() + dt.timedelta(days=91)
    with time_machine.travel(later, tick=True):
        response = phone.goto(portal(world.link.token))
        assert response.status == 410
        polite(phone, "此链接已过期。")
    shot(phone, "portal-expired.png")


def test_a_revoked_link_shows_nothing_of_any_project(phone, world, alice):
    investor_link_revoke(link=world.link.link, by=alice)
    response = phone.goto(portal(world.link.token))
    assert response.status == 410
    polite(phone, "此链接已被收回。")
    shot(phone, "portal-revoked.png")


def test_the_officer_makes_a_link_on_the_enterprises_page(as_user, world, alice, phone):
    page = as_user(alice)
    page.goto(reverse("admin:zones_enterprise_change", args=[world.enterprise.pk]))
    page.locator("#make-investor-link").click()
    expect(page.locator("#id_contact_name")).to_have_value("王经理")
    page.fill("#id_contact_name", "赵会计")
    page.fill("#id_contact_phone", "13700000003")
    page.get_by_role("button", name="生成链接").click()
    expect(page.locator("#link-qr")).to_be_visible()
    address = page.locator("#link-address").input_value()
    assert re.fullmatch(r"http://[^/]+/portal/[\w-]{32}/", address), address
    expect(page.locator("#link-message")).to_contain_text("赵会计您好")
    shot(page, "portal-admin-link.png")
    phone.goto(address)
    expect(phone.locator(".hello")).to_contain_text("赵会计您好")
