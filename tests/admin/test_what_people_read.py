"""What people read: times in Asia/Shanghai, Chinese labels instead of stored codes, columns that
say something, choices and actions for those who may use them, links only to pages that open."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from approvals.checklist.services import checklist_generate
from approvals.models import (
    ApprovalGroup,
    ApprovalItem,
    Authorisation,
    ItemStatus,
    JobKind,
    JobStatus,
    LimitUnit,
    Mode,
    ModeOrigin,
    Project,
    RequestStatus,
    Stage,
)
from approvals.stages import workflow
from tests.factories import UserFactory, ZoneRoleFactory
from tests.flows import documents, move

SIGN = {"agreement_date": dt.date(2025, 4, 7)}


class VisibleText(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_identifiers() -> set[str]:
    codes: set[str] = set()
    for choices in (
        Stage,
        ItemStatus,
        Mode,
        ModeOrigin,
        RequestStatus,
        Authorisation,
        ApprovalGroup,
        LimitUnit,
        JobKind,
        JobStatus,
    ):
        codes |= set(choices.values)
    codes |= set(Project.transition_names()) | set(ApprovalItem.transition_names())
    return codes


def raw_codes_in(html: str) -> list[str]:
    text = visible(html)
    return sorted(c for c in raw_identifiers() if re.search(rf"(?<![\w/.-]){c}(?![\w/.-])", text))


class TestTimes:
    def test_the_request_page_shows_the_decision_and_the_stage_change_in_beijing_time(
        self, as_user, alice, bob, project
    ):
        with time_machine.travel(dt.datetime(2025, 4, 7, 11, 15, tzinfo=dt.UTC), tick=False):
            move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        pending = project.stage_requests.get()
        page = (
            as_user(bob)
            .get(reverse("admin:approvals_stagerequest_change", args=[pending.pk]))
            .content.decode()
        )
        assert "2025-04-07 19:15" in page  # the stage-change line
        assert "19:15" in visible(page).split("审批时间")[1][:40]  # the decision
        assert "11:15" not in visible(page)

    def test_the_record_lists_and_inlines_show_beijing_time(self, as_user, alice, bob, project):
        with time_machine.travel(dt.datetime(2025, 4, 7, 11, 15, tzinfo=dt.UTC), tick=False):
            move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        client = as_user(bob)
        for url in (
            reverse("admin:approvals_stagechange_changelist"),
            # the stage history's tab, fetched when opened
            reverse("admin:approvals_project_change", args=[project.pk]) + "?case_tab=records",
            reverse("admin:approvals_project_history", args=[project.pk]),
        ):
            text = visible(client.get(url).content.decode())
            assert "19:15" in text and "11:15" not in text, url


@pytest.fixture
def a_lived_case(zone, alice, bob, project):
    """A project that went through several stages and an item through several statuses."""
    move(project, "sign", officer=alice, supervisor=bob, **SIGN)
    checklist_generate(project=project, by=alice)
    item = project.approval_items.get(approval_type__code="LX03")
    workflow.run_transition(item, "start_preparing", by=alice)
    workflow.run_transition(item, "accept", by=alice, accepted_on=dt.date(2025, 9, 26))
    workflow.item_set_mode(
        project.approval_items.get(approval_type__code="HP05"),
        Mode.UNIFIED,
        by=alice,
        reason="园区",
    )
    move(project, "suspend", officer=alice, supervisor=bob, reason="环保督察")
    pending = workflow.request_transition(project, "resume", by=alice)
    return project, item, pending


def pages_of(project, item, pending) -> list[str]:
    lists = [
        "approvals_project_changelist",
        "approvals_approvalitem_changelist",
        "approvals_stagerequest_changelist",
        "approvals_stagechange_changelist",
        "approvals_itemstatuschange_changelist",
        "approvals_itemmodechange_changelist",
        "approvals_approvaltype_changelist",
    ]
    return [
        *(reverse(f"admin:{name}") for name in lists),
        reverse("admin:approvals_project_change", args=[project.pk]),
        reverse("admin:approvals_project_history", args=[project.pk]),
        reverse("admin:approvals_approvalitem_change", args=[item.pk]),
        reverse("admin:approvals_approvalitem_history", args=[item.pk]),
        reverse("admin:approvals_stagerequest_change", args=[pending.pk]),
        reverse("admin:approvals_stagechange_change", args=[project.stage_changes.first().pk]),
        reverse("admin:approvals_itemstatuschange_change", args=[item.status_changes.first().pk]),
    ]


def test_no_page_shows_a_stored_code_instead_of_its_label(as_user, bob, a_lived_case):
    client = as_user(bob)
    found = {}
    for url in pages_of(*a_lived_case):
        response = client.get(url)
        assert response.status_code == 200, url
        codes = raw_codes_in(response.content.decode())
        if codes:
            found[url] = codes
    assert found == {}


def test_the_walk_would_see_a_raw_code(as_user, bob, a_lived_case):
    """The check above reads visible text, and a raw code in it is found."""
    assert raw_codes_in("<td>under_construction → suspended</td>") == [
        "suspended",
        "under_construction",
    ]
    assert raw_codes_in('<a href="/x/?transition=suspend">暂停</a>') == []


def test_the_stage_change_filter_lists_chinese_labels(as_user, bob, a_lived_case):
    page = as_user(bob).get(reverse("admin:approvals_stagechange_changelist")).content.decode()
    assert "暂停（停缓建）" in page or "停缓建" in page
    assert "start_production" not in visible(page)


class TestThePendingColumn:
    def test_it_is_blank_for_a_project_without_a_request(self, as_user, alice, project):
        response = as_user(alice).get(reverse("admin:approvals_project_changelist"))
        row = response.content.decode().split('class="field-awaiting_decision')[1]
        row = row[row.index(">") :][:80]
        assert "icon-no" not in row and "icon-yes" not in row
        assert row.startswith("></td>")

    def test_it_says_so_when_a_request_waits(self, as_user, alice, project):
        workflow.request_transition(project, "sign", by=alice, attachments=documents(), **SIGN)
        response = as_user(alice).get(reverse("admin:approvals_project_changelist"))
        row = response.content.decode().split('class="field-awaiting_decision')[1]
        row = row[row.index(">") :][:120]
        assert "待审批" in row


def test_the_item_officer_choices_are_the_officers_and_supervisors_of_its_zone(
    as_user, alice, bob, lily, stan, charlie, superuser, project
):
    checklist_generate(project=project, by=alice)
    item = project.approval_items.get(approval_type__code="LX03")
    client = as_user(alice)

    page = client.get(reverse("admin:approvals_approvalitem_change", args=[item.pk]))
    assert set(page.context["adminform"].form.fields["officer"].queryset) == {alice, bob}

    url = reverse("admin:approvals_project_change", args=[project.pk])
    tab = client.get(url, {"case_tab": "items"})  # the checklist's tab, opened
    row = tab.context["case_tab"].inlines[0].formset.forms[0]
    assert set(row.fields["officer"].queryset) == {alice, bob}
    page = client.get(url)
    assert set(page.context["adminform"].form.fields["officer"].queryset) == {alice, bob}
    assert set(page.context["adminform"].form.fields["leader"].queryset) == {lily}


class TestActions:
    def actions(self, client) -> set[str]:
        form = client.get(reverse("admin:approvals_project_changelist")).context["action_form"]
        return set(dict(form.fields["action"].choices)) if form else set()

    def test_leaders_and_statisticians_are_not_offered_checklist_generation(
        self, as_user, lily, stan, project
    ):
        project.leader = lily
        project.save()
        for person in (lily, stan):
            assert "generate_checklists" not in self.actions(as_user(person))

    def test_officers_are(self, as_user, alice, project):
        assert "generate_checklists" in self.actions(as_user(alice))


class TestLinks:
    def test_the_requester_is_a_name_not_a_link_to_a_page_that_refuses(
        self, as_user, alice, project
    ):
        pending = workflow.request_transition(
            project, "sign", by=alice, attachments=documents(), **SIGN
        )
        page = (
            as_user(alice)
            .get(reverse("admin:approvals_stagerequest_change", args=[pending.pk]))
            .content.decode()
        )
        assert "/admin/auth/user/" not in page
        assert reverse("admin:approvals_project_change", args=[project.pk]) in page

    def test_record_pages_link_no_user_either(self, as_user, alice, bob, project):
        move(project, "sign", officer=alice, supervisor=bob, **SIGN)
        client = as_user(alice)
        change = project.stage_changes.first()
        for url in (
            reverse("admin:approvals_project_change", args=[project.pk]),
            reverse("admin:approvals_stagechange_change", args=[change.pk]),
        ):
            assert "/admin/auth/user/" not in client.get(url).content.decode(), url

    def test_a_refusal_is_a_chinese_page(self, as_user, alice):
        response = as_user(alice).get(reverse("admin:auth_user_changelist"))
        assert response.status_code == 403
        assert "无权" in response.content.decode()

    def test_every_link_an_officer_is_shown_opens(self, as_user, alice, bob, a_lived_case):
        """Follow every admin link on the officer's pages: none answers 403."""
        officer = UserFactory(username="olivia")
        ZoneRoleFactory(user=officer, zone=a_lived_case[0].zone, role="officer")
        client = as_user(officer)
        links = set()
        for url in pages_of(*a_lived_case):
            page = client.get(url).content.decode()
            links |= set(re.findall(r'href="(/admin/[^"?#]*)"', page))
        refused = [
            link
            for link in sorted(links)
            if not link.endswith("/logout/") and client.get(link).status_code == 403
        ]
        assert refused == []
