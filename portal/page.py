"""The investor's page as plain data (issue 22): what one enterprise's contact reads of the
enterprise's projects — each project's stage timeline, its approval checklist with statuses and
deadlines in plain words, what is expected of the enterprise next (documents missing for 容缺受理,
commitments to sign, documents to prepare), its officer's name and work phone, the next
milestone, and the requests for help (诉求) it sent with their answers and 销号.

Read in a fixed handful of queries whatever the number of projects, milestones or items (the
projects with their zone and officer, then their milestones, items and requests, one query
each); the template reads the dataclasses and runs none. Nothing here reads another
enterprise's rows: every query starts from the link's enterprise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import work_phone_of
from approvals.cases.lateness import effective_stage, stage_passed_through
from approvals.core.display import day_in_words
from approvals.models import (
    MILESTONE_STAGES,
    NEXT_STAGE,
    ApprovalItem,
    ItemStatus,
    Milestone,
    Mode,
    Problem,
    ProblemSource,
    ProblemStatus,
    Project,
    Stage,
)
from portal.models import InvestorLink

#: The milestones as an investor says them (the stage names say where a project stands:
#: "已开工"; a step of the timeline is the event: "开工").
STEP_NAMES = {
    Stage.SIGNED: pgettext_lazy("investor timeline", "Agreement signed"),
    Stage.READY: pgettext_lazy("investor timeline", "Ready to start works"),
    Stage.UNDER_CONSTRUCTION: pgettext_lazy("investor timeline", "Start of works"),
    Stage.IN_PRODUCTION: pgettext_lazy("investor timeline", "Start of production"),
    Stage.AT_CAPACITY: pgettext_lazy("investor timeline", "Design capacity reached"),
}

#: A request's status as the enterprise reads it.
REQUEST_STATES = {
    ProblemStatus.OPEN: pgettext_lazy("investor request", "Received, to be handled"),
    ProblemStatus.IN_PROGRESS: pgettext_lazy("investor request", "Being handled"),
    ProblemStatus.ESCALATED: pgettext_lazy("investor request", "Taken up by the zone's leader"),
    ProblemStatus.RESOLVED: pgettext_lazy("investor request", "Answered, being confirmed"),
    ProblemStatus.CLOSED: pgettext_lazy("investor request", "Done and closed (销号)"),
}


@dataclass(frozen=True)
class Step:
    name: str
    words: str
    #: "done", "current" (the one the project heads for), "late", "ahead"
    state: str


@dataclass(frozen=True)
class Item:
    name: str
    agency: str
    status: str
    words: str
    #: "done", "running", "late", "open", "none" (not applicable, unified service)
    state: str


@dataclass(frozen=True)
class Ask:
    """Something the enterprise is expected to do next."""

    words: str
    late: bool = False


@dataclass(frozen=True)
class HelpRequest:
    text: str
    sent_on: str
    status: str
    answer: str
    closed: str
    done: bool


@dataclass(frozen=True)
class ProjectCard:
    pk: int
    name: str
    zone: str
    stage: str
    next_milestone: str
    officer_name: str
    officer_phone: str
    steps: list[Step]
    items: list[Item]
    progress: str
    asks: list[Ask]
    requests: list[HelpRequest] = field(default_factory=list)


@dataclass(frozen=True)
class InvestorPage:
    enterprise: str
    contact: str
    expires_on: str
    projects: list[ProjectCard]

    def project(self, pk: int) -> ProjectCard | None:
        return next((p for p in self.projects if p.pk == pk), None)


def projects_of(link: InvestorLink):
    """The enterprise's projects the page shows: all but those withdrawn (已退出)."""
    return Project.objects.filter(enterprise_id=link.enterprise_id).exclude(stage=Stage.WITHDRAWN)


def investor_page(link: InvestorLink, today: dt.date | None = None) -> InvestorPage:
    today = today or timezone.localdate()
    projects = (
        projects_of(link)
        .select_related("zone", "officer", "officer__profile")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by()),
            Prefetch(
                "approval_items",
                queryset=ApprovalItem.objects.select_related("approval_type").order_by(
                    "approval_type__sort_order", "pk"
                ),
            ),
            Prefetch(
                "problems",
                queryset=Problem.objects.filter(source=ProblemSource.ENTERPRISE).order_by(
                    "-reported_on", "-pk"
                ),
                to_attr="enterprise_requests",
            ),
        )
        .order_by("-created_at", "-pk")
    )
    return InvestorPage(
        enterprise=link.enterprise.name,
        contact=link.contact_name,
        expires_on=day_in_words(timezone.localtime(link.expires_at)),
        projects=[_card(project, today) for project in projects],
    )


def _officer(project: Project) -> tuple[str, str]:
    officer = project.officer
    if officer is None:
        return _("To be assigned"), ""
    return officer.get_full_name().strip() or officer.get_username(), work_phone_of(officer)


def _card(project: Project, today: dt.date) -> ProjectCard:
    milestones = {m.stage: m for m in project.milestones.all()}
    items = list(project.approval_items.all())
    name, phone = _officer(project)
    settled = sum(1 for item in items if item.is_settled)
    return ProjectCard(
        pk=project.pk,
        name=project.name,
        zone=project.zone.name if project.zone else "",
        stage=str(project.get_stage_display()),
        next_milestone=_next_milestone(project, milestones, today),
        officer_name=name,
        officer_phone=phone,
        steps=_steps(project, milestones, today),
        items=[_item(item, today) for item in items],
        progress=(
            _("%(settled)d of %(total)d approvals settled")
            % {"settled": settled, "total": len(items)}
            if items
            else _("The approval checklist is being drawn up by your officer.")
        ),
        asks=_asks(project, items, today),
        requests=[_request(problem) for problem in project.enterprise_requests],
    )


def _planned_words(milestone: Milestone | None) -> str:
    if milestone is None or milestone.planned_date is None:
        return ""
    if milestone.planned_month_only:
        return _("%(month)d/%(year)d") % {
            "year": milestone.planned_date.year,
            "month": milestone.planned_date.month,
        }
    return day_in_words(milestone.planned_date)


def _steps(project: Project, milestones: dict, today: dt.date) -> list[Step]:
    heading_for = NEXT_STAGE.get(effective_stage(project))
    steps = []
    for stage in MILESTONE_STAGES:
        milestone = milestones.get(stage)
        planned = _planned_words(milestone)
        if stage_passed_through(project, stage):
            actual = milestone.actual_date if milestone else None
            words = _("Done on %(day)s") % {"day": day_in_words(actual)} if actual else _("Done")
            state = "done"
        elif planned:
            late_by = (today - milestone.planned_date).days
            if late_by > 0:
                words = _("Planned for %(day)s, %(days)d days behind the plan") % {
                    "day": planned,
                    "days": late_by,
                }
                state = "late"
            else:
                words = _("Planned for %(day)s") % {"day": planned}
                state = "current" if stage == heading_for else "ahead"
        else:
            words = _("Not scheduled yet")
            state = "current" if stage == heading_for else "ahead"
        steps.append(Step(str(STEP_NAMES[stage]), words, state))
    return steps


def _next_milestone(project: Project, milestones: dict, today: dt.date) -> str:
    """The next milestone with a plan (a project at 签约 often has no date for 具备开工条件, yet
    its start of works is planned); without any plan ahead, the next stage, unscheduled."""
    if project.stage == Stage.SUSPENDED:
        return _("The project is paused; your officer tells you when it resumes.")
    heading_for = NEXT_STAGE.get(project.stage)
    if heading_for is None:
        return _("Every milestone is reached.")
    for stage in MILESTONE_STAGES[MILESTONE_STAGES.index(heading_for) :]:
        planned = _planned_words(milestones.get(stage))
        if planned:
            return _("%(step)s, planned for %(day)s") % {"step": STEP_NAMES[stage], "day": planned}
    return _("%(step)s: not scheduled yet") % {"step": STEP_NAMES[heading_for]}


def _item(item: ApprovalItem, today: dt.date) -> Item:
    kind = item.approval_type
    if item.mode == Mode.NOT_APPLICABLE:
        return Item(kind.name, kind.agency, _("Not needed"), "", "none")
    if item.mode == Mode.UNIFIED:
        return Item(
            kind.name,
            kind.agency,
            _("Done by the zone"),
            _("The zone obtains it for the whole area."),
            "none",
        )
    if item.mode == Mode.COMMITMENT:
        return Item(
            kind.name,
            kind.agency,
            _("By commitment (承诺制)"),
            _("Settled once the enterprise signs the commitment letter."),
            "done",
        )
    status = str(item.get_status_display())
    if item.status == ItemStatus.APPROVED:
        words = (
            _("Approved on %(day)s") % {"day": day_in_words(item.approved_on)}
            if item.approved_on
            else _("Approved")
        )
        if item.document_number:
            words += _(", document %(number)s") % {"number": item.document_number}
        return Item(kind.name, kind.agency, status, words, "done")
    if item.status == ItemStatus.ACCEPTED:
        if item.deadline is None:
            words = _("Accepted on %(day)s") % {"day": day_in_words(item.accepted_on)}
            return Item(kind.name, kind.agency, status, words, "running")
        if item.deadline < today:
            words = _("Due by %(day)s; past its time limit: your officer is chasing it") % {
                "day": day_in_words(item.deadline)
            }
            return Item(kind.name, kind.agency, status, words, "late")
        words = _("Due by %(day)s") % {"day": day_in_words(item.deadline)}
        return Item(kind.name, kind.agency, status, words, "running")
    if item.status == ItemStatus.PREPARING:
        return Item(kind.name, kind.agency, status, _("Documents being prepared"), "open")
    if item.status == ItemStatus.REFUSED:
        return Item(kind.name, kind.agency, status, item.outcome_reason, "late")
    if item.status == ItemStatus.WITHDRAWN:
        return Item(kind.name, kind.agency, status, item.outcome_reason, "open")
    return Item(kind.name, kind.agency, status, _("Not started yet"), "open")


#: Stages before works start: commitments still to be signed are asked for then.
BEFORE_WORKS = (Stage.RESERVE, Stage.SIGNED, Stage.READY)


def _asks(project: Project, items: list[ApprovalItem], today: dt.date) -> list[Ask]:
    """What the enterprise is expected to do next: documents missing for items accepted with
    documents missing (容缺受理), by their date, the most pressing first; documents for the items
    being prepared; and, before works start, the commitment letters to sign (承诺制)."""
    missing = sorted(
        (
            item
            for item in items
            if item.mode == Mode.APPROVAL
            and item.status == ItemStatus.ACCEPTED
            and item.is_provisional
        ),
        key=lambda item: item.supplement_due or dt.date.max,
    )
    asks = [
        Ask(
            _(
                "Hand in the missing documents of “%(item)s” by %(day)s (accepted with documents missing, 容缺受理)"
            )
            % {"item": item.approval_type.name, "day": day_in_words(item.supplement_due)},
            late=item.supplement_due is not None and item.supplement_due < today,
        )
        for item in missing
    ]
    asks += [
        Ask(_("Give your officer the documents for “%(item)s”") % {"item": item.approval_type.name})
        for item in items
        if item.mode == Mode.APPROVAL and item.status == ItemStatus.PREPARING
    ]
    if project.stage in BEFORE_WORKS:
        asks += [
            Ask(
                _("Sign the commitment letter for “%(item)s” (承诺制)")
                % {"item": item.approval_type.name}
            )
            for item in items
            if item.mode == Mode.COMMITMENT
        ]
    return asks


def _request(problem: Problem) -> HelpRequest:
    answer = ""
    if problem.resolution:
        answer = _("%(answer)s (answered on %(day)s)") % {
            "answer": problem.resolution,
            "day": day_in_words(problem.resolved_on),
        }
    closed = ""
    if problem.status == ProblemStatus.CLOSED and problem.closed_at:
        closed = _("Closed (销号) on %(day)s") % {
            "day": day_in_words(timezone.localtime(problem.closed_at))
        }
    return HelpRequest(
        text=problem.description,
        sent_on=day_in_words(problem.reported_on),
        status=str(REQUEST_STATES[problem.status]),
        answer=answer,
        closed=closed,
        done=problem.status == ProblemStatus.CLOSED,
    )
