"""The 督办通报 on the reports page and its own list: a leader reads its zone's kept bulletins,
downloads them and makes one now; nobody downloads another zone's (or a city's it does not
read whole); the pages' queries do not grow with the rows."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.bulletins import services
from approvals.models import Bulletin
from tests.bulletins.conftest import MONDAY
from tests.factories import UserFactory, ZoneRoleFactory
from zones.models import Role

REPORTS = reverse("admin:reports")
MAKE = reverse("admin:approvals_bulletin_make")
LIST = reverse("admin:approvals_bulletin_changelist")


def download(bulletin: Bulletin) -> str:
    return reverse("admin:approvals_bulletin_download", args=[bulletin.pk])


@pytest.fixture
def dora(other_zone):
    """祁县's supervisor: reads 祁县's bulletins, not 晋中's."""
    user = UserFactory(username="dora", first_name="朵拉")
    ZoneRoleFactory(user=user, zone=other_zone, role=Role.SUPERVISOR)
    return user


def test_a_leader_makes_one_now_and_downloads_it(week, zone, lily, as_user):
    client = as_user(lily)
    page = client.get(REPORTS)
    assert (
        "立即生成" in page.content.decode() and f'value="zone:{zone.pk}"' in page.content.decode()
    )
    answer = client.post(MAKE, {"where": f"zone:{zone.pk}", "week": "2026-12-02"})
    assert answer.status_code == 302
    made = Bulletin.objects.get()
    assert (made.zone, made.week_start, made.weekly, made.made_by) == (zone, MONDAY, False, lily)
    listed = client.get(REPORTS).content.decode()
    assert download(made) in listed and "已生成" in listed
    got = client.get(download(made))
    assert got.status_code == 200
    assert "attachment" in got["Content-Disposition"]
    document = docx.Document(io.BytesIO(b"".join(got.streaming_content)))
    assert document.tables[0].rows[1].cells[1].text == "晋中红色滞后项目"


def test_nobody_downloads_another_zones_bulletin(week, zone, other_zone, dora, lily, as_user):
    theirs = services.make(zone=zone, week=MONDAY, weekly=True)
    city = services.make(city="晋中市", week=MONDAY, weekly=True)
    own = services.make(zone=other_zone, week=MONDAY, weekly=True)
    client = as_user(dora)
    assert client.get(download(own)).status_code == 200
    assert client.get(download(theirs)).status_code == 404
    assert client.get(download(city)).status_code == 404  # 晋中市's names 晋中's projects
    listed = client.get(LIST).content.decode()
    assert download(own) in listed and download(theirs) not in listed
    # nor asks for one: a place it does not read is no choice of the form (refused, back to
    # the page with the error)
    assert client.post(MAKE, {"where": f"zone:{zone.pk}", "week": "2026-12-01"}).status_code == 302
    assert not Bulletin.objects.filter(zone=zone, weekly=False).exists()
    assert client.post(MAKE, {"where": "city:晋中市", "week": "2026-12-01"}).status_code in (
        302,
        403,
    )
    assert not Bulletin.objects.filter(city="晋中市", weekly=False).exists()
    # lily reads 晋中's, not the city's (she holds no role in 祁县)
    lily_client = as_user(lily)
    assert lily_client.get(download(theirs)).status_code == 200
    assert lily_client.get(download(city)).status_code == 404


def test_a_city_supervisor_reads_the_citys(week, zone, as_user):
    from zones.models import CityRole

    user = UserFactory(username="carol")
    CityRole.objects.create(user=user, city="晋中市", role=Role.CITY_SUPERVISOR)
    city = services.make(city="晋中市", week=MONDAY, weekly=True)
    assert as_user(user).get(download(city)).status_code == 200


def test_a_citys_made_now_is_a_job_for_the_worker(
    week, zone, as_user, celery_inline, django_capture_on_commit_callbacks
):
    """A city's takes seconds at a province's scale (benchmarks/README.md section 26): the
    request queues it and shows the job's page; the worker makes it, kept for download."""
    from approvals.models import Job, JobKind, JobStatus
    from zones.models import CityRole

    user = UserFactory(username="carol")
    CityRole.objects.create(user=user, city="晋中市", role=Role.CITY_SUPERVISOR)
    client = as_user(user)
    with django_capture_on_commit_callbacks(execute=True):  # the job queued once committed
        response = client.post(MAKE, {"where": "city:晋中市", "week": "2026-12-01"})
    job = Job.objects.get()
    assert (job.kind, job.status, job.created_by) == (JobKind.BULLETIN, JobStatus.DONE, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:approvals_job_change", args=[job.pk])
    made = Bulletin.objects.get(city="晋中市", weekly=False)
    assert (made.made_by, made.week_start, job.result) == (user, MONDAY, {"bulletin": made.pk})
    assert made.download_name in job.message
    page = client.get(response["Location"])
    assert page.status_code == 200 and made.download_name in page.content.decode()
    assert client.get(download(made)).status_code == 200


def test_an_officer_has_no_bulletin_pages(week, zone, alice, as_user):
    bulletin = services.make(zone=zone, week=MONDAY, weekly=True)
    client = as_user(alice)
    assert client.get(download(bulletin)).status_code in (403, 404)
    assert client.get(LIST).status_code == 403
    assert "立即生成" not in client.get(REPORTS).content.decode()


def queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_pages_queries_do_not_grow_with_rows(frozen, zone, other_zone, lily, as_user):
    client = as_user(lily)
    services.make(zone=zone, week=MONDAY, weekly=True)
    few = {url: queries(client, url) for url in (REPORTS, LIST)}
    for n in range(1, 8):
        services.make(zone=zone, week=MONDAY - dt.timedelta(days=7 * n), weekly=True)
        services.make(zone=zone, week=MONDAY, weekly=False, user=lily)
    assert {url: queries(client, url) for url in (REPORTS, LIST)} == few
