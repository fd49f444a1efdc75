"""Bad input gets a message naming the field, never a 500, and a refused form saves nothing.

One list of hostile values goes into every editable field of the project form (with its
checklist and milestone rows), the approval item form, the enterprise form and the request
forms (a stage request's evidence, an item's status change, a supervisor's decision).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import ApprovalItem, Milestone, Project, Stage, StageRequest
from approvals.stages import workflow
from tests.admin_helpers import change_form_data
from tests.factories import MilestoneFactory, ProjectFactory
from tests.flows import documents
from zones.models import Enterprise

HOSTILE = [
    "",
    "9" * 10_000,
    "啊" * 10_000,
    "<script>alert(1)</script>",
    "２０２５－０３－１５",  # full-width digits and dash
    "１２３４",
    "٣٤٥",  # Arabic-Indic digits
    "-1",
    "0001-01-01",
    "9999-12-31",
    "a\x00b",
]


def snapshot() -> dict:
    return {
        model.__name__: list(model.objects.values().order_by("pk"))
        for model in (Project, ApprovalItem, Milestone, Enterprise, StageRequest)
    }


def refused_form(response) -> bool:
    """The admin drew the form again with its errors."""
    return response.status_code == 200 and bool(response.context and response.context["errors"])


def editable(data: dict) -> list[str]:
    """Every field of the form and of the first row of each inline (the other rows are the same
    form again)."""
    skip = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS", "-id", "-project")
    return [
        name
        for name in data
        if not name.endswith(skip) and not re.match(r"^[a-z_]+-[1-9]\d*-", name)
    ]


def post_each(client, url: str, base: dict) -> list[tuple[str, str, int]]:
    """Posts every hostile value into every field; returns what was accepted."""
    accepted = []
    for name in editable(base):
        for value in HOSTILE:
            before = snapshot()
            response = client.post(url, {**base, name: value})
            assert response.status_code in (200, 302), (name, value[:20], response.status_code)
            if response.status_code == 200:
                assert refused_form(response), (name, value[:20])
                assert snapshot() == before, f"{name}={value[:20]!r} was refused but saved"
            else:
                accepted.append((name, value[:20], response.status_code))
    return accepted


@pytest.fixture
def case(zone, alice, project):
    checklist_generate(project=project, by=alice)
    # Two rows are enough for the inline forms, and keep each redrawn page small.
    project.approval_items.exclude(approval_type__code__in=["LX03", "HP05"]).delete()
    MilestoneFactory(project=project, stage=Stage.SIGNED, planned_date=dt.date(2025, 6, 30))
    return project


def test_the_project_form_refuses_or_stores_each_value_sanely(as_user, alice, case):
    client = as_user(alice)
    url = reverse("admin:approvals_project_change", args=[case.pk])
    base = change_form_data(client, url)
    accepted = post_each(client, url, base)
    # What was taken is what a person may write there: text in text fields, empty optional
    # facts, numbers written in other digits; never a date outside 1990–2100.
    case.refresh_from_db()
    assert case.total_investment is None or case.total_investment >= 0
    dated = {n for n in editable(base) if n.endswith(("_date", "progress_as_of"))}
    assert not [(n, v) for n, v, _ in accepted if n in dated and v[:4] in ("0001", "9999")]
    assert {n for n, _, _ in accepted} >= {"notes", "progress", "content"}


def test_the_project_add_form_refuses_or_stores_each_value_sanely(as_user, alice, zone):
    client = as_user(alice)
    url = reverse("admin:approvals_project_add")
    base = {**change_form_data(client, url), "name": "新项目", "zone": zone.pk}
    for name in editable(base):
        for value in HOSTILE:
            before = set(Project.objects.values_list("pk", flat=True))
            response = client.post(url, {**base, name: value})
            assert response.status_code in (200, 302), (name, value[:20])
            added = Project.objects.exclude(pk__in=before)
            if response.status_code == 200:
                assert refused_form(response) and not added.exists(), (name, value[:20])
            else:
                added.delete()  # taken as a new project: start the next one afresh


def test_the_item_form_refuses_or_stores_each_value_sanely(as_user, alice, case):
    client = as_user(alice)
    item = case.approval_items.get(approval_type__code="LX03")
    url = reverse("admin:approvals_approvalitem_change", args=[item.pk])
    post_each(client, url, change_form_data(client, url))


def test_the_enterprise_form_refuses_or_stores_each_value_sanely(as_user, alice, case):
    client = as_user(alice)
    url = reverse("admin:zones_enterprise_change", args=[case.enterprise_id])
    post_each(client, url, change_form_data(client, url))
    add = reverse("admin:zones_enterprise_add")
    post_each(client, add, change_form_data(client, add))


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("transition", "fields"),
    [
        ("sign", ["agreement_date", "comment"]),
        ("suspend", ["reason", "comment"]),
        ("withdraw", ["reason", "comment"]),
    ],
)
def test_the_stage_request_form_refuses_bad_evidence_by_name(
    as_user, alice, case, transition, fields
):
    client = as_user(alice)
    url = reverse("admin:approvals_project_request", args=[case.pk, transition])
    valid = {"agreement_date": "2025-04-07", "reason": "停工整改", "comment": ""}
    for name in fields:
        for value in HOSTILE:
            before = snapshot()
            data = {f"{transition}-{k}": v for k, v in valid.items()}
            data[f"{transition}-{name}"] = value
            response = client.post(url, data)
            assert response.status_code == 302, (name, value[:20])
            if StageRequest.objects.filter(project=case).pending().exists():
                StageRequest.objects.filter(project=case).delete()  # taken: start again
            else:
                assert snapshot() == before
                assert _messages(response), (name, value[:20])


def test_the_item_status_forms_refuse_bad_evidence_by_name(as_user, alice, case):
    client = as_user(alice)
    item = case.approval_items.get(approval_type__code="LX03")
    workflow.run_transition(item, "start_preparing", by=alice)
    url = reverse("admin:approvals_approvalitem_transition", args=[item.pk, "accept"])
    for name in ("accepted_on", "supplement_due", "is_provisional", "comment"):
        for value in HOSTILE:
            before = snapshot()
            data = {"accept-accepted_on": "2025-09-26", f"accept-{name}": value}
            response = client.post(url, data)
            assert response.status_code == 302, (name, value[:20])
            item.refresh_from_db()
            if item.status == "accepted":
                assert dt.date(1990, 1, 1) <= item.accepted_on <= dt.date.today()
                workflow.run_transition(item, "withdraw", by=alice, reason="重来")
                workflow.run_transition(item, "reapply", by=alice)
            else:
                assert snapshot() == before, (name, value[:20])


def test_the_decision_form_refuses_a_bad_choice_or_comment(as_user, alice, bob, case):
    pending = workflow.request_transition(
        case, "sign", by=alice, agreement_date=dt.date(2025, 4, 7), attachments=documents()
    )
    client = as_user(bob)
    url = reverse("admin:approvals_stagerequest_decide", args=[pending.pk])
    for name in ("decision", "comment"):
        for value in HOSTILE:
            before = snapshot()
            data = {"decision": "reject", "comment": "请补充协议扫描件", name: value}
            response = client.post(url, data)
            assert response.status_code == 302, (name, value[:20])
            pending.refresh_from_db()
            if pending.status != "pending":
                assert pending.status == "rejected" and pending.decision_comment.strip()
                StageRequest.objects.filter(pk=pending.pk).update(status="pending")
            else:
                assert snapshot() == before


class TestRanges:
    """Section 11: amounts are not negative; dates lie in 1990–2100; what has happened is not in
    the future. Each refusal names the field."""

    def test_negative_amounts_are_refused_by_field(self, as_user, alice, case):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[case.pk])
        for field in ("total_investment", "expected_annual_output", "land_area_mu"):
            response = client.post(url, change_form_data(client, url, **{field: "-0.01"}))
            assert field in response.context["adminform"].form.errors, field
        case.refresh_from_db()
        assert case.total_investment == Decimal(500000)

    @pytest.mark.parametrize("day", ["1989-12-31", "2101-01-01"])
    def test_dates_outside_1990_to_2100_are_refused(self, as_user, alice, case, day):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[case.pk])
        data = change_form_data(client, url)
        data["milestones-0-planned_date"] = day
        response = client.post(url, data)
        assert response.status_code == 200
        errors = response.context["inline_admin_formsets"][1].formset.errors
        assert "planned_date" in errors[0]
        assert Milestone.objects.get(project=case).planned_date == dt.date(2025, 6, 30)

    def test_the_progress_date_is_not_in_the_future(self, as_user, alice, case):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[case.pk])
        tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
        response = client.post(url, change_form_data(client, url, progress_as_of=tomorrow))
        assert "progress_as_of" in response.context["adminform"].form.errors

    def test_a_planned_date_may_be_in_the_future(self, as_user, alice, case):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[case.pk])
        data = change_form_data(client, url)
        data["milestones-0-planned_date"] = "2030-06-30"
        assert client.post(url, data).status_code == 302
        assert Milestone.objects.get(project=case).planned_date == dt.date(2030, 6, 30)

    def test_an_evidence_date_before_1990_is_refused_with_its_label(self, alice, case):
        from approvals.models import TransitionRefused

        with pytest.raises(TransitionRefused, match="签约日期"):
            workflow.request_transition(
                case, "sign", by=alice, agreement_date="1989-06-01", attachments=documents()
            )
        assert not StageRequest.objects.exists()


class TestTheProjectCode:
    @pytest.mark.parametrize(
        "code",
        ["abc", "2509-140602-89-05-86497", "250914060289058649761234", "2509140602890586497612"],
    )
    def test_an_invalid_code_is_a_form_error_on_add_and_change(self, as_user, alice, zone, code):
        client = as_user(alice)
        add = reverse("admin:approvals_project_add")
        response = client.post(
            add, change_form_data(client, add, name="新项目", zone=zone.pk, code=code)
        )
        assert response.status_code == 200
        assert "code" in response.context["adminform"].form.errors
        assert not Project.objects.filter(name="新项目").exists()

        project = ProjectFactory(zone=zone)
        url = reverse("admin:approvals_project_change", args=[project.pk])
        response = client.post(url, change_form_data(client, url, code=code))
        assert response.status_code == 200
        assert "code" in response.context["adminform"].form.errors
        project.refresh_from_db()
        assert project.code is None

    def test_full_width_digits_and_dashes_are_normalised(self, as_user, alice, zone):
        client = as_user(alice)
        project = ProjectFactory(zone=zone)
        url = reverse("admin:approvals_project_change", args=[project.pk])
        written = " ２５０９－１４０６０２－８９－０５－８６４９７６ "
        assert client.post(url, change_form_data(client, url, code=written)).status_code == 302
        project.refresh_from_db()
        assert project.code == "2509-140602-89-05-864976"

    def test_text_is_stored_as_written_and_shown_escaped(self, as_user, alice, case):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[case.pk])
        client.post(url, change_form_data(client, url, notes="<script>alert(1)</script>"))
        case.refresh_from_db()
        assert case.notes == "<script>alert(1)</script>"
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)</script>" not in page
