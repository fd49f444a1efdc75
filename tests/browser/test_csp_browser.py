"""The admin's main pages in Chromium under the production Content-Security-Policy: nothing is
refused (no securitypolicyviolation event, no "Refused to …" in the console), and the
dashboard's charts are drawn on their canvases.

The live server runs the test settings, which are the production settings with DEBUG off
(plain HTTP apart): the same policy header as ./desk serve sends, checked on each page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import Batch, Category, Stage
from tests.browser_support import ARTIFACTS, CHANGELIST, PASSWORD, change_url
from tests.factories import ProjectFactory
from tests.figures import listed, reached

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


INDEX = reverse("admin:index")
REPORTS = reverse("admin:reports")
CHARTS = ("funnel", "monthly", "rounds")

# Every violation, as the page sees it and as Chromium reports it in the console.
LISTEN = """
document.addEventListener('securitypolicyviolation', (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


@pytest.fixture
def cases(zone, alice, catalogue):
    """Projects at several stages, listed in two rounds, one with its checklist: every chart
    and table of the pages has something to draw."""
    first = Batch.objects.create(year=2025, round=1, event_date=dt.date(2025, 3, 20))
    second = Batch.objects.create(year=2025, round=2, event_date=dt.date(2025, 6, 20))
    projects = []
    for n, stage in enumerate([Stage.SIGNED, Stage.READY, Stage.UNDER_CONSTRUCTION]):
        project = ProjectFactory(zone=zone, officer=alice, name=f"晋中测试项目{n}", stage=stage)
        reached(project, Stage.SIGNED, dt.date(2025, 3, 20))
        listed(first, project, Category.SIGN, 10000 * (n + 1))
        projects.append(project)
    reached(projects[2], Stage.UNDER_CONSTRUCTION, dt.date(2025, 5, 6))
    listed(second, projects[2], Category.START, 30000)
    checklist_generate(project=projects[0], by=alice)
    return projects


def visit(page, url: str, violations: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, policy
    page.wait_for_load_state("networkidle")
    assert not violations, f"{url}: {violations}"


def test_the_main_pages_work_under_the_content_security_policy(page, alice, cases):
    assert "CONTENT_SECURITY_POLICY" in dir(settings) and not settings.DEBUG
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "CSP violation" in message.text
            else None
        ),
    )
    page.context.add_init_script(LISTEN)

    # The login page, and logging in through it (a form post under form-action 'self').
    visit(page, f"{reverse('admin:login')}?next={INDEX}", violations)
    page.fill("#id_username", alice.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{INDEX}")
    page.wait_for_load_state("networkidle")
    assert not violations, violations

    visit(page, INDEX, violations)
    for name in CHARTS:
        page.wait_for_function(
            f"() => window.Chart && Chart.getChart(document.querySelector('#chart-{name} canvas'))"
        )
        drawn = page.evaluate(
            """(name) => {
                const canvas = document.querySelector(`#chart-${name} canvas`);
                const pixels = canvas.getContext('2d')
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                return canvas.width > 0 && pixels.some((value) => value !== 0);
            }""",
            name,
        )
        assert drawn, f"the {name} chart's canvas is blank"
    # Alpine.js runs (it needs 'unsafe-eval'): the sidebar's toggles are bound, x-cloak gone.
    assert page.evaluate("() => !!window.Alpine && !document.querySelector('[x-cloak]')")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "csp-dashboard.png", full_page=True)

    visit(page, CHANGELIST, violations)
    assert page.locator("#result_list").is_visible()
    visit(page, change_url(cases[0]), violations)
    assert page.locator("#project_form").count() == 1
    visit(page, REPORTS, violations)
    page.screenshot(path=ARTIFACTS / "csp-reports.png", full_page=True)
    assert not violations, violations
