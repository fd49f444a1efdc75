"""An item's mode (审批 / 承诺 / 统一服务 / 不涉及) settles it without a procedure, so every change
of mode is recorded (who, when, old → new, why; a reason for 不涉及 and 统一服务), and the
supervisor deciding 具备开工条件 reads each item settled by its mode with who set it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from approvals.checklist.services import checklist_generate, settled_by_mode
from approvals.models import ItemModeChange, Mode, ModeOrigin, Stage, TransitionRefused
from approvals.stages import workflow
from tests.admin_helpers import change_form_data
from tests.factories import ProjectFactory
from tests.flows import documents


@pytest.fixture
def signed(zone, alice):
    project = ProjectFactory(zone=zone, stage=Stage.SIGNED, name="晋能控股年产8GW电池项目")
    checklist_generate(project=project, by=alice)
    return project


def item(project, code):
    return project.approval_items.get(approval_type__code=code)


class TestTheRecord:
    def test_a_change_of_mode_is_a_row_with_who_when_and_why(self, signed, alice):
        hp05 = item(signed, "HP05")
        workflow.item_set_mode(hp05, Mode.NOT_APPLICABLE, by=alice, reason="不涉及危险化学品")

        change = ItemModeChange.objects.filter(item=hp05).latest("at")
        assert (change.source, change.target, change.by, change.reason, change.origin) == (
            Mode.APPROVAL,
            Mode.NOT_APPLICABLE,
            alice,
            "不涉及危险化学品",
            ModeOrigin.PERSON,
        )
        assert type(hp05).objects.get(pk=hp05.pk).mode == Mode.NOT_APPLICABLE

    @pytest.mark.parametrize("mode", [Mode.NOT_APPLICABLE, Mode.UNIFIED])
    def test_not_applicable_and_unified_need_a_reason(self, signed, alice, mode):
        hp05 = item(signed, "HP05")
        with pytest.raises(TransitionRefused, match="须说明理由"):
            workflow.item_set_mode(hp05, mode, by=alice, reason="  ")
        assert type(hp05).objects.get(pk=hp05.pk).mode == Mode.APPROVAL
        assert not ItemModeChange.objects.filter(item=hp05, origin=ModeOrigin.PERSON).exists()

    def test_a_commitment_needs_no_reason(self, signed, alice):
        hp05 = item(signed, "HP05")
        workflow.item_set_mode(hp05, Mode.COMMITMENT, by=alice)
        assert type(hp05).objects.get(pk=hp05.pk).mode == Mode.COMMITMENT

    def test_those_who_may_not_work_the_checklist_may_not_change_modes(
        self, signed, stan, lily, charlie
    ):
        for person in (stan, lily, charlie):
            with pytest.raises(PermissionDenied):
                workflow.item_set_mode(
                    item(signed, "HP05"), Mode.NOT_APPLICABLE, by=person, reason="x"
                )
        assert item(signed, "HP05").mode == Mode.APPROVAL

    def test_generation_records_the_catalogue_default(self, signed, alice):
        rows = ItemModeChange.objects.filter(item__project=signed)
        assert rows.count() == 21
        assert set(rows.values_list("origin", "by", "source")) == {
            (ModeOrigin.CATALOGUE, alice.pk, "")
        }
        assert rows.get(item__approval_type__code="LX04").target == Mode.UNIFIED


class TestTheForms:
    def test_the_item_page_asks_a_reason_for_not_applicable(self, as_user, alice, signed):
        client = as_user(alice)
        hp05 = item(signed, "HP05")
        url = reverse("admin:approvals_approvalitem_change", args=[hp05.pk])

        response = client.post(url, change_form_data(client, url, mode=Mode.NOT_APPLICABLE))
        assert response.status_code == 200
        assert "mode_reason" in response.context["adminform"].form.errors
        assert item(signed, "HP05").mode == Mode.APPROVAL

        data = change_form_data(client, url, mode=Mode.NOT_APPLICABLE, mode_reason="无危化品")
        assert client.post(url, data).status_code == 302
        change = ItemModeChange.objects.filter(item=hp05).latest("at")
        assert (change.target, change.reason, change.by) == (Mode.NOT_APPLICABLE, "无危化品", alice)

    def test_the_project_pages_checklist_asks_it_too(self, as_user, alice, signed):
        client = as_user(alice)
        url = reverse("admin:approvals_project_change", args=[signed.pk])
        data = change_form_data(client, url)
        index = next(
            i
            for i in range(21)
            if str(data[f"approval_items-{i}-id"]) == str(item(signed, "LX03").pk)
        )
        data[f"approval_items-{index}-mode"] = Mode.UNIFIED
        response = client.post(url, data)
        assert response.status_code == 200
        assert item(signed, "LX03").mode == Mode.APPROVAL

        data[f"approval_items-{index}-mode_reason"] = "园区统一办理"
        assert client.post(url, data).status_code == 302
        change = ItemModeChange.objects.filter(item__approval_type__code="LX03").latest("at")
        assert (change.source, change.target, change.reason) == (
            Mode.APPROVAL,
            Mode.UNIFIED,
            "园区统一办理",
        )

    def test_the_case_files_items_say_who_set_each_mode_and_why(self, as_user, alice, signed):
        """The latest change to the present mode, per item, in two queries however many items
        (the mode changes read into a list, not a queryset per item)."""
        hp05 = item(signed, "HP05")
        workflow.item_set_mode(hp05, Mode.NOT_APPLICABLE, by=alice, reason="无危化品生产")
        workflow.item_set_mode(hp05, Mode.APPROVAL, by=alice, reason="改为正常审批")
        workflow.item_set_mode(hp05, Mode.NOT_APPLICABLE, by=alice, reason="确认不涉及")
        url = reverse("admin:approvals_project_change", args=[signed.pk]) + "?case_tab=items"
        page = as_user(alice).get(url).content.decode()
        row = page[page.index("HP05") :]
        row = row[: row.index("</tr>")]
        assert "确认不涉及" in row and "无危化品生产" not in row and "艾丽（alice）" in row

    def test_the_item_page_shows_the_mode_history(self, as_user, alice, signed):
        workflow.item_set_mode(
            item(signed, "HP05"), Mode.NOT_APPLICABLE, by=alice, reason="无危化品生产"
        )
        url = reverse("admin:approvals_approvalitem_change", args=[item(signed, "HP05").pk])
        page = as_user(alice).get(url).content.decode()
        history = page[page.index("方式变更记录") :]
        assert "无危化品生产" in history and "目录默认" in history and "艾丽（alice）" in history


@pytest.fixture
def ten_settled_by_hand(signed, alice):
    """The officer marks ten blocking items 不涉及 and asks for mark_ready."""
    blockers = list(signed.start_blockers())
    assert len(blockers) >= 10
    for blocker in blockers:
        workflow.item_set_mode(blocker, Mode.NOT_APPLICABLE, by=alice, reason="企业自述不涉及")
    pending = workflow.request_transition(signed, "mark_ready", by=alice)
    return blockers, pending


class TestWhatTheSupervisorReads:
    def test_every_item_settled_by_mode_is_listed_with_who_set_it(
        self, signed, ten_settled_by_hand, alice
    ):
        blockers, _ = ten_settled_by_hand
        rows = {row.item.approval_type.code: row for row in settled_by_mode(signed)}
        for blocker in blockers:
            row = rows[blocker.approval_type.code]
            assert (row.item.mode, row.change.by, row.change.reason) == (
                Mode.NOT_APPLICABLE,
                alice,
                "企业自述不涉及",
            )
        # and the commitments and unified items generated from the catalogue, by their origin
        assert rows["LX04"].change.origin == ModeOrigin.CATALOGUE

    def test_the_request_page_shows_them(self, as_user, bob, ten_settled_by_hand):
        blockers, pending = ten_settled_by_hand
        url = reverse("admin:approvals_stagerequest_change", args=[pending.pk])
        page = as_user(bob).get(url).content.decode()
        assert 'id="settled-by-mode"' in page
        for blocker in blockers:
            assert blocker.approval_type.name in page
        assert page.count("企业自述不涉及") == len(blockers)
        assert "艾丽（alice）" in page

    def test_the_project_page_shows_them_by_the_decision_buttons(
        self, as_user, bob, signed, ten_settled_by_hand
    ):
        blockers, _ = ten_settled_by_hand
        url = reverse("admin:approvals_project_change", args=[signed.pk])
        page = as_user(bob).get(url).content.decode()
        panel = page[page.index('id="pending-request"') :]
        panel = panel[: panel.index('id="approve-request"')]
        assert panel.count("企业自述不涉及") == len(blockers)

    def test_deciding_several_shows_them_too(self, as_user, bob, ten_settled_by_hand):
        blockers, pending = ten_settled_by_hand
        page = as_user(bob).post(
            reverse("admin:approvals_stagerequest_changelist"),
            {"action": "approve_selected", "_selected_action": [pending.pk]},
        )
        assert page.content.decode().count("企业自述不涉及") == len(blockers)

    def test_a_sign_request_shows_no_such_list(self, as_user, bob, alice, zone):
        import datetime as dt

        project = ProjectFactory(zone=zone)
        pending = workflow.request_transition(
            project, "sign", by=alice, agreement_date=dt.date(2025, 4, 7), attachments=documents()
        )
        url = reverse("admin:approvals_stagerequest_change", args=[pending.pk])
        assert 'id="settled-by-mode"' not in as_user(bob).get(url).content.decode()


def test_the_mode_change_list_runs_the_same_queries_for_few_rows_as_for_many(
    as_user, alice, bob, zone
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(bob)
    url = reverse("admin:approvals_itemmodechange_changelist")

    def queries_with(projects: int) -> int:
        for _ in range(projects):
            project = ProjectFactory(zone=zone)
            checklist_generate(project=project, by=alice)  # 21 rows each
            workflow.item_set_mode(item(project, "HP05"), Mode.UNIFIED, by=alice, reason="园区")
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(8)


class TestWhatTheOfficerSeesAfterwards:
    def test_a_reason_without_a_change_of_mode_is_refused_not_dropped(self, as_user, alice, signed):
        client = as_user(alice)
        lx02 = item(signed, "LX02")  # already 不涉及 from the catalogue
        url = reverse("admin:approvals_approvalitem_change", args=[lx02.pk])
        response = client.post(url, change_form_data(client, url, mode_reason="非核准类项目"))
        assert response.status_code == 200
        assert "mode_reason" in response.context["adminform"].form.errors
        assert ItemModeChange.objects.filter(item=lx02).count() == 1

    def test_the_checklist_shows_who_set_each_mode_and_why(self, as_user, alice, signed):
        workflow.item_set_mode(
            item(signed, "HP05"), Mode.NOT_APPLICABLE, by=alice, reason="无危化品"
        )
        page = as_user(alice).get(
            reverse("admin:approvals_project_change", args=[signed.pk]), {"case_tab": "items"}
        )  # the checklist's tab, fetched when opened
        text = page.content.decode()
        assert "艾丽（alice）：无危化品" in text
        assert "目录（艾丽（alice）生成清单）：目录默认" in text

    def test_the_catalogue_not_the_generating_officer_is_named_for_default_modes(
        self, as_user, bob, ten_settled_by_hand
    ):
        _, pending = ten_settled_by_hand
        url = reverse("admin:approvals_stagerequest_change", args=[pending.pk])
        page = as_user(bob).get(url).content.decode()
        row = page[page.index("LX04") :]
        row = row[: row.index("</tr>")]
        assert "目录（艾丽（alice）生成清单）" in row and "目录默认" in row

    def test_the_officer_reads_why_its_last_request_was_rejected(
        self, as_user, alice, bob, signed, ten_settled_by_hand
    ):
        _, pending = ten_settled_by_hand
        workflow.decide(pending, by=bob, approve=False, comment="请补充选址意见书说明")
        page = as_user(alice).get(reverse("admin:approvals_project_change", args=[signed.pk]))
        panel = page.content.decode().split('id="last-rejection"')[1].split('class="module')[0]
        assert "请补充选址意见书说明" in panel and "鲍勃（bob）" in panel
