"""Two enterprises and their projects, for the investor's page's tests (and the browser's).

晋能新材料 (enterprise A) has two projects in 晋中开发区, followed by alice (its officer, with a
work phone); the first signed on 2025-04-07, with its checklist: LX03 accepted with documents
missing, LX08 being prepared, the committable items by commitment (a 承诺制 project). 祁县 has
enterprise B's project, followed by charlie: its name, and every text of it, carry the marker
``SECRET-B`` that enterprise A's page must never show."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.models import Profile
from approvals.checklist.services import checklist_generate
from approvals.models import Milestone, Stage
from approvals.stages import workflow
from portal.links import MadeLink, investor_link_make
from tests.factories import EnterpriseFactory, ProjectFactory

#: The day the world is built and read on (a Wednesday; tests freeze the clock to it).
TODAY = dt.date(2025, 9, 10)
MARKER = "SECRET-B"


@dataclass
class World:
    enterprise: object
    project: object
    second: object
    other_enterprise: object
    other_project: object
    link: MadeLink
    other_link: MadeLink


def build(zone, other_zone, alice, charlie) -> World:
    Profile.objects.update_or_create(user=alice, defaults={"work_phone": "0354-3012345"})
    enterprise = EnterpriseFactory(
        name="山西晋能新材料有限公司", contact_person="王经理", contact_phone="13800000001"
    )
    project = ProjectFactory(
        zone=zone,
        enterprise=enterprise,
        name="年产5万吨碳纤维项目",
        officer=alice,
        stage=Stage.SIGNED,
        is_commitment=True,
    )
    Milestone.objects.create(project=project, stage=Stage.SIGNED, actual_date=dt.date(2025, 4, 7))
    Milestone.objects.create(
        project=project, stage=Stage.UNDER_CONSTRUCTION, planned_date=dt.date(2025, 12, 31)
    )
    Milestone.objects.create(
        project=project,
        stage=Stage.IN_PRODUCTION,
        planned_date=dt.date(2026, 6, 30),
        planned_month_only=True,
    )
    checklist_generate(project=project, by=alice)
    lx03 = project.approval_items.get(approval_type__code="LX03")
    workflow.run_transition(lx03, "start_preparing", by=alice)
    workflow.run_transition(
        lx03,
        "accept",
        by=alice,
        accepted_on=dt.date(2025, 9, 1),
        is_provisional=True,
        supplement_due=dt.date(2025, 9, 30),
    )
    lx08 = project.approval_items.get(approval_type__code="LX08")
    workflow.run_transition(lx08, "start_preparing", by=alice)
    second = ProjectFactory(
        zone=zone, enterprise=enterprise, name="碳纤维复合材料二期项目", officer=alice
    )
    other_enterprise = EnterpriseFactory(
        name=f"{MARKER}-祁县某某实业有限公司", contact_person="李总", contact_phone="13900000002"
    )
    other_project = ProjectFactory(
        zone=other_zone,
        enterprise=other_enterprise,
        name=f"{MARKER}-年产10万吨焦化项目",
        officer=charlie,
        stage=Stage.SIGNED,
        progress=f"{MARKER}-PROGRESS",
    )
    checklist_generate(project=other_project, by=charlie)
    link = investor_link_make(
        enterprise=enterprise, contact_name="王经理", contact_phone="13800000001", by=alice
    )
    other_link = investor_link_make(
        enterprise=other_enterprise, contact_name="李总", contact_phone="13900000002", by=charlie
    )
    return World(enterprise, project, second, other_enterprise, other_project, link, other_link)
