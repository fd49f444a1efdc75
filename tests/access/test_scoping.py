"""Every page that shows an object is scoped exactly like its change page.

Each role of 晋中 (officer, supervisor, leader, statistician), a city supervisor of 太原 and a
person with no role at all open, by GET and by POST, every admin URL of one object (change,
history, one history version, delete, transitions, requests, decisions, evidence documents, and
whatever view is added later: the URLs are read from the admin itself) for another zone's
project, its approval item, request, records, enterprise, its officer's reminder and background
job, its problems (堵点), service record, task plan, monthly figures and factor needs (the
project is on the white list), and for a project without a zone. Each must refuse, show no
field value of the object, and change nothing.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone

from approvals.casework.problems import (
    FollowUp,
    problem_add,
    problem_transition,
    service_record_add,
)
from approvals.checklist.services import checklist_generate
from approvals.models import (
    ApprovalItem,
    AuditEvent,
    FactorNeed,
    ItemModeChange,
    ItemStatusChange,
    Job,
    JobKind,
    Mode,
    MonthlyProgress,
    Problem,
    ProblemChange,
    Project,
    Reminder,
    ServiceRecord,
    StageChange,
    StageRequest,
    Step,
    TaskNode,
    WhiteListProject,
)
from approvals.stages import workflow
from portal.links import investor_link_make
from portal.models import InvestorLink
from tests.factories import (
    EnterpriseFactory,
    ProjectFactory,
    UserFactory,
    ZoneFactory,
    ZoneRoleFactory,
)
from tests.flows import administrator
from zones.models import CityRole, Enterprise, Role

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
#: Each hidden case writes its own marker into every field a page could show.
CASES = {
    "other zone": "SECRET-OTHERZONE",
    "no zone": "SECRET-NOZONE",
    "not followed": "SECRET-NOTFOLLOWED",
}
REFUSED = {302, 403, 404, 405}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _hidden_case(zone, officer, *, marker: str, code: str | None = None) -> dict:
    """A project with everything a page could show: field history, a checklist with a status
    change and a mode change, a pending request with a document, an enterprise with contacts,
    a problem being worked on, a service record whose follow-up opened another, a task node,
    a month's figures and a factor need; 10亿元 or more, so that it is on the white list.
    Enterprise names are for all staff (guide section 11): only its contacts carry the marker."""
    enterprise = EnterpriseFactory(contact_person=f"{marker}-CONTACT", contact_phone=code or "")
    project = ProjectFactory(
        zone=zone,
        name=f"{marker}-NAME",
        code=code,
        enterprise=enterprise,
        progress=f"{marker}-PROGRESS",
        notes=f"{marker}-NOTES-1",
        total_investment=150_000,
    )
    project.notes = f"{marker}-NOTES-2"
    project.save()  # a history row with old and new values
    checklist_generate(project=project, by=officer)
    item = project.approval_items.get(approval_type__code="LX03")
    item.notes = f"{marker}-ITEM-NOTES"
    item.document_number = f"{marker}-DOCNO"
    item.save()
    workflow.run_transition(item, "start_preparing", by=officer)
    workflow.item_set_mode(
        project.approval_items.get(approval_type__code="HP05"),
        Mode.NOT_APPLICABLE,
        by=officer,
        reason=f"{marker}-MODE-REASON",
    )
    pending = workflow.request_transition(
        project,
        "sign",
        by=officer,
        note=f"{marker}-REQUEST-NOTE",
        attachments=[SimpleUploadedFile(f"{marker}-DOCUMENT.pdf", PDF)],
        agreement_date=dt.date(2025, 4, 7),
    )
    reminder = Reminder.objects.create(
        subject_type=ContentType.objects.get_for_model(Project),
        subject_id=project.pk,
        project=project,
        step=Step.OFFICER,
        recipient=officer,
        period=0,
        day=dt.date(2025, 6, 3),
        title=f"{marker}-REMINDER-TITLE",
        body=f"{marker}-REMINDER-BODY",
        link=reverse("admin:approvals_project_change", args=[project.pk]),
        delivered_at=timezone.now(),
    )
    job = Job.objects.create(
        kind=JobKind.EXPORT, created_by=officer, message=f"{marker}-JOB-MESSAGE"
    )
    problem = problem_add(
        project=project, by=officer, description=f"{marker}-PROBLEM", department=f"{marker}-DEPT"
    )
    problem_transition(problem, "start", by=officer, comment=f"{marker}-PROBLEM-COMMENT")
    problem.department = f"{marker}-DEPT-LATER"
    problem.save()  # a field history row with old and new values
    record, _follow_up = service_record_add(
        project=project,
        by=officer,
        day=dt.date(2025, 6, 3),
        participants=f"{marker}-PARTICIPANTS",
        done=f"{marker}-DONE",
        follow_up=FollowUp(description=f"{marker}-FOLLOW-UP", department=f"{marker}-DEPT-2"),
    )
    node = TaskNode.objects.create(
        project=project, name=f"{marker}-NODE", planned_date=dt.date(2025, 9, 30)
    )
    month = MonthlyProgress.objects.create(
        project=project, month=dt.date(2025, 5, 1), image_progress=f"{marker}-IMAGE"
    )
    need = FactorNeed.objects.create(
        project=project, factor="land", requested=100, notes=f"{marker}-FACTOR"
    )
    # the investor's page (issue 22): a contact's link, made by the project's officer
    investor_link = investor_link_make(
        enterprise=enterprise,
        contact_name=f"{marker}-INVESTOR",
        contact_phone=f"{marker}-PHONE",
        by=officer,
    ).link
    return {
        "marker": marker,
        "project": project,
        "reminder": reminder,
        "job": job,
        "item": item,
        "request": pending,
        "attachment": pending.attachments.get(),
        "enterprise": enterprise,
        "stage_change": project.stage_changes.get(),
        "status_change": item.status_changes.latest("at"),
        "mode_change": ItemModeChange.objects.filter(item__project=project).latest("at"),
        "problem": problem,
        "problem_change": problem.status_changes.latest("at"),
        "service_record": record,
        "task_node": node,
        "monthly_progress": month,
        "factor_need": need,
        "white_list": WhiteListProject.objects.get(pk=project.pk),
        "investor_link": investor_link,
    }


@pytest.fixture
def hidden(zone, other_zone, charlie, superuser) -> dict[str, dict]:
    """Another zone's case, a case without a zone, and (for the leader) a case of its own zone
    that it does not follow."""
    own_officer = UserFactory(username="otto")
    ZoneRoleFactory(user=own_officer, zone=zone, role=Role.OFFICER)
    return {
        "other zone": _hidden_case(
            other_zone, charlie, marker=CASES["other zone"], code="2509-140602-89-05-864976"
        ),
        "no zone": _hidden_case(None, superuser, marker=CASES["no zone"]),
        "not followed": _hidden_case(zone, own_officer, marker=CASES["not followed"]),
    }


#: The security and audit administrators (三权分立) see no case at all.
ADMINISTRATORS_WITHOUT_CASES = ("security admin", "audit admin")


def outside(role, hidden: dict) -> list[dict]:
    """The cases outside the role's scope: a leader sees only the projects it follows."""
    if role in (*ADMINISTRATORS_WITHOUT_CASES, Role.CITY_SUPERVISOR):  # 太原's: none of 晋中's
        return list(hidden.values())
    keys = ["other zone", "no zone", *(["not followed"] if role in (Role.LEADER, "none") else [])]
    return [hidden[key] for key in keys]


@pytest.fixture
def people(alice, bob, lily, stan, db) -> dict:
    from zones.models import Administrator, AdminRole

    nobody = UserFactory(username="nobody")  # staff, no role anywhere
    keepers = {}
    for name, role in (("security admin", AdminRole.SECURITY), ("audit admin", AdminRole.AUDIT)):
        keepers[name] = UserFactory(username=name.replace(" ", "-"))
        Administrator.objects.create(user=keepers[name], role=role)
    # A city supervisor of another city than 晋中's (a zone there, none of the cases).
    ZoneFactory(name="太原经济技术开发区", city="太原市")
    taiyuan = UserFactory(username="taiyuan-supervisor")
    CityRole.objects.create(user=taiyuan, city="太原市", role=Role.CITY_SUPERVISOR)
    # Client systems' accounts (api/) of 晋中: no way into the admin, whatever they hold.
    platforms = {}
    for role in (Role.PLATFORM_READ, Role.PLATFORM_WRITE):
        platforms[role] = UserFactory(username=f"platform-{role}", is_staff=False)
        ZoneRoleFactory(user=platforms[role], zone=alice.zone_roles.get().zone, role=role)
    return {
        **platforms,
        **keepers,
        Role.OFFICER: alice,
        Role.SUPERVISOR: bob,
        Role.LEADER: lily,
        Role.STATISTICIAN: stan,
        Role.CITY_SUPERVISOR: taiyuan,
        "none": nobody,
    }


def _subject(case: dict, model) -> object | None:
    return {
        Project: case["project"],
        ApprovalItem: case["item"],
        StageRequest: case["request"],
        StageChange: case["stage_change"],
        ItemStatusChange: case["status_change"],
        ItemModeChange: case["mode_change"],
        Enterprise: case["enterprise"],
        Reminder: case["reminder"],
        Job: case["job"],
        Problem: case["problem"],
        ProblemChange: case["problem_change"],
        ServiceRecord: case["service_record"],
        TaskNode: case["task_node"],
        MonthlyProgress: case["monthly_progress"],
        FactorNeed: case["factor_need"],
        WhiteListProject: case["white_list"],
        InvestorLink: case["investor_link"],
    }.get(model)


def _fill(pattern: URLPattern, obj, case: dict) -> list[str]:
    """The pattern's route with this object's values; a placeholder nobody knows fails the
    test, so that a view added later is walked too, once it is told what to fill in."""
    route = str(pattern.pattern)
    if route.startswith("^"):  # django-simple-history's version page: ^(id)/history/(version)/$
        version = obj.history.order_by("history_id").first().history_id
        return [f"{obj.pk}/history/{version}/"]
    values = {
        "<path:object_id>": [str(obj.pk)],
        "<str:name>": [*type(obj).transition_names()] if hasattr(obj, "transition_names") else [],
        "<int:attachment_id>": [str(case["attachment"].pk)],
    }
    routes = [route]
    for placeholder in re.findall(r"<[^>]+>", route):
        assert placeholder in values, f"extend the scoping test for {placeholder} in {route}"
        routes = [r.replace(placeholder, v, 1) for r in routes for v in values[placeholder]]
    return routes


def object_urls(case: dict) -> list[str]:
    urls = []
    for model, model_admin in admin.site._registry.items():
        obj = _subject(case, model)
        if obj is None:
            continue
        base = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for pattern in model_admin.get_urls():
            route = str(pattern.pattern)
            if "object_id" in route or route.startswith("^"):
                urls += [base + tail for tail in _fill(pattern, obj, case)]
    return urls


def _state() -> dict:
    return {
        "stages": list(Project.objects.values_list("pk", "stage").order_by("pk")),
        "items": list(ApprovalItem.objects.values_list("pk", "status", "mode").order_by("pk")),
        "requests": list(StageRequest.objects.values_list("pk", "status").order_by("pk")),
        "records": (
            StageChange.objects.count(),
            ItemStatusChange.objects.count(),
            ItemModeChange.objects.count(),
        ),
        "enterprises": list(Enterprise.objects.values().order_by("pk")),
        "reminders": list(Reminder.objects.values().order_by("pk")),
        "jobs": list(Job.objects.values().order_by("pk")),
        "problems": list(Problem.objects.values().order_by("pk")),
        "problem_changes": ProblemChange.objects.count(),
        "service_records": list(ServiceRecord.objects.values().order_by("pk")),
        "task_nodes": list(TaskNode.objects.values().order_by("pk")),
        "monthly_progress": list(MonthlyProgress.objects.values().order_by("pk")),
        "factor_needs": list(FactorNeed.objects.values().order_by("pk")),
        "investor_links": list(InvestorLink.objects.values().order_by("pk")),
    }


def _leaks(content: str, cases: list[dict]) -> list[str]:
    markers = [c["marker"] for c in cases]
    if any(c["project"].code for c in cases):
        markers += [c["project"].code for c in cases if c["project"].code]
    return [m for m in markers if m in content]


@pytest.mark.parametrize("role", [*Role.values, "none", *ADMINISTRATORS_WITHOUT_CASES])
def test_no_page_of_an_object_outside_ones_scope_opens(client, people, hidden, role):
    user = people[role]
    client.force_login(user)
    before = _state()
    walked = []
    for case in outside(role, hidden):
        for url in object_urls(case):
            for method in ("get", "post"):
                response = getattr(client, method)(url, follow=True)
                first = response.redirect_chain[0][1] if response.redirect_chain else None
                status = first or response.status_code
                assert status in REFUSED, f"{role} {method.upper()} {url} → {status}"
                leaks = _leaks(response.content.decode(), [case])
                assert not leaks, f"{role} {method.upper()} {url} shows {leaks}"
                walked.append(url)
    assert _state() == before
    assert len(walked) >= 2 * 40, walked  # every page family was reached


@pytest.mark.parametrize("role", [*Role.values, "none", *ADMINISTRATORS_WITHOUT_CASES])
def test_no_list_shows_an_object_outside_ones_scope(client, people, hidden, role):
    client.force_login(people[role])
    cases = outside(role, hidden)
    for model in admin.site._registry:
        if model._meta.app_label not in {"approvals", "zones", "portal"}:
            continue
        if model is AuditEvent and role == "audit admin":
            # The security audit log is the audit administrator's to read whole, every zone's
            # events: its investor-link records (issue 22) name the link's contact.
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for query in ({}, {"q": "SECRET"}, {"q": "2509-140602"}):
            response = client.get(url, query)
            assert response.status_code in {200, 302, 403}, url
            leaks = _leaks(response.content.decode(), cases)
            assert not leaks, f"{role} {url} {query} shows {leaks}"


def test_the_pages_open_for_the_people_of_the_zone(client, hidden, other_zone, charlie):
    """The walk above refuses because of scope, not because the pages are broken."""
    case = hidden["other zone"]
    client.force_login(charlie)
    for url in object_urls(case):
        if any(
            part in url
            for part in (
                "/delete/",
                "/decide/",
                "/cancel/",
                "/transition/",
                "/download/",
                "/list-file/",  # a download, of a request from a list only (404 for the others)
                "/revoke/",  # an investor link's: POST only
            )
        ):
            continue
        if "/request/" in url or "/generate-checklist/" in url or re.search(r"/history/\d+/$", url):
            continue  # POST-only, or the version page that is closed to everyone
        response = client.get(url)
        assert response.status_code in {200, 302}, f"{url} → {response.status_code}"
    page = client.get(reverse("admin:approvals_project_history", args=[case["project"].pk]))
    assert "SECRET-OTHERZONE-NOTES-2" in page.content.decode()
    shown = {
        "admin:approvals_problem_change": (case["problem"], "SECRET-OTHERZONE-PROBLEM-COMMENT"),
        "admin:approvals_problem_history": (case["problem"], "SECRET-OTHERZONE-DEPT-LATER"),
        "admin:approvals_servicerecord_change": (case["service_record"], "SECRET-OTHERZONE-DONE"),
        "admin:approvals_project_change": (case["project"], "SECRET-OTHERZONE-FACTOR"),
    }
    for name, (obj, marker) in shown.items():
        # the project's factor needs: in their tab, fetched when it is opened
        query = {"case_tab": "factors"} if name == "admin:approvals_project_change" else {}
        assert marker in client.get(reverse(name, args=[obj.pk]), query).content.decode(), name


def test_the_administrator_sees_the_project_without_a_zone(client, hidden):
    client.force_login(administrator())
    page = client.get(
        reverse("admin:approvals_project_history", args=[hidden["no zone"]["project"].pk])
    )
    assert page.status_code == 200 and "SECRET-NOZONE-NOTES-2" in page.content.decode()


def test_the_system_administrator_reads_every_case_and_changes_nothing(client, hidden):
    """It sees every zone read-only: each case's pages open for reading, and no POST of any of
    them (change, delete, transitions, decisions, requests) changes anything."""
    from zones.models import Administrator, AdminRole

    keeper = UserFactory(username="system-admin")
    Administrator.objects.create(user=keeper, role=AdminRole.SYSTEM)
    client.force_login(keeper)
    before = _state()
    for case in hidden.values():
        change = reverse("admin:approvals_project_change", args=[case["project"].pk])
        assert case["marker"] in client.get(change).content.decode()
        for url in object_urls(case):
            client.post(url, follow=True)
    assert _state() == before
