"""The home of what a 三个一批 round does to a project it lists (guide section 12): the round is
the event. For an event today or past, a project the list creates is created at the category's
stage, that milestone reached on the event date; a stored project behind the category is not
moved, the import opens one request "from a list" for the zone's supervisors to decide; one at
or past it gets nothing; one suspended or withdrawn, or with a request already open, a warning.
For an event still ahead the category is a plan (the milestone planned on the event date).
Past or future is judged on the day of the import.

``round_outcome`` says which, over plain values, for the preview and the write alike (the
import compares a whole chunk in memory); ``open_requests`` opens the requests a chunk needs,
in one statement. Deciding them is ``workflow.decide``'s (``catch_up``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from approvals.core import bulk
from approvals.core.display import day_in_words
from approvals.models import (
    CATEGORY_MILESTONE,
    FORWARD_STAGES,
    PLANNED_DATE_LABELS,
    Project,
    RequestStatus,
    Stage,
    StageRequest,
)
from approvals.stages.models import RequestKind


class Effect:
    """What a round does to one listed project."""

    CREATED = "created"  # a new project, at a stage (the category's milestone dated, if past)
    PLAN = "plan"  # an event still ahead: the category's milestone planned on its date
    REQUEST = "request"  # a stored project behind the category: a request from the list
    OWN_PENDING = "own_pending"  # this list's request for it waits for a decision already
    PENDING = "pending"  # another request waits: a warning, none opened
    NOT_REOPENED = "not_reopened"  # this list's request was rejected (or cancelled)
    REACHED = "reached"  # at or past the category's stage: nothing
    CLOSED = "closed"  # suspended or withdrawn: a warning, none opened
    NOTHING = "nothing"  # no round or no category (a portfolio): the round does nothing


#: Effects the preview warns about (the row is imported, the request is not opened).
WARNED = frozenset({Effect.PENDING, Effect.CLOSED})


@cache
def transition_into(stage: str) -> str:
    """The forward change that leads into ``stage`` (签约, 开工, 投产)."""
    return next(
        t.name
        for t in Project.transitions()
        if t.target == stage and t.source in FORWARD_STAGES and t.source != stage
    )


def _date_evidence(transition: str) -> str:
    """The date the change's evidence names (agreement_date, start_date, production_date)."""
    return next(e for e in Project.transition_spec(transition)["evidence"] if e.endswith("_date"))


@dataclass(frozen=True)
class Outcome:
    effect: str
    stage: str = ""  # created at; the request's target; the milestone planned
    current: str = ""  # the stored project's stage
    day: dt.date | None = None  # the event date, when the round dates something
    status: str = ""  # NOT_REOPENED: what became of the earlier request

    @property
    def transition(self) -> str:
        return transition_into(self.stage) if self.stage in CATEGORY_MILESTONE.values() else ""

    @property
    def evidence(self) -> dict[str, Any]:
        """A request's evidence: the event date, as the change's own date."""
        return {_date_evidence(self.transition): self.day}

    @property
    def reached(self) -> str:
        """CREATED: the milestone the event date is the actual date of ("" for none)."""
        return self.stage if self.effect == Effect.CREATED and self.day else ""

    @property
    def warned(self) -> bool:
        return self.effect in WARNED

    def text(self) -> str:
        """What the preview says the row does."""
        stage = Stage(self.stage).label if self.stage else ""
        match self.effect:
            case Effect.CREATED if self.day:
                return _("New, at stage %(stage)s (%(change)s on %(date)s)") % {
                    "stage": stage,
                    "change": Project.transition_label(self.transition),
                    "date": day_in_words(self.day),
                }
            case Effect.CREATED:
                return _("New, at stage %(stage)s") % {"stage": stage}
            case Effect.PLAN:
                return _("%(plan)s: %(date)s") % {
                    "plan": PLANNED_DATE_LABELS[self.stage],
                    "date": day_in_words(self.day),
                }
            case Effect.REQUEST:
                return _(
                    "A catch-up request will be opened: %(current)s → %(target)s, for the "
                    "zone's supervisors to decide"
                ) % {"current": Stage(self.current).label, "target": stage}
            case Effect.OWN_PENDING | Effect.PENDING:
                return _("A request is already waiting for a decision: none is opened")
            case Effect.NOT_REOPENED if self.status == RequestStatus.CANCELLED:
                return _("The earlier catch-up request was cancelled: it is not opened again")
            case Effect.NOT_REOPENED:
                return _("The earlier catch-up request was rejected: it is not opened again")
            case Effect.REACHED:
                return _("Already at that stage")
            case Effect.CLOSED:
                return _("The project is %(stage)s: no catch-up request is opened") % {
                    "stage": Stage(self.current).label
                }
        return ""

    def tally(self, language: str | None = None) -> str:
        """The count of the preview this row adds to ("" for none), in ``language`` (the
        active one's code, which a caller asking for every row of a list reads once: 7 µs a
        call, 4% of a first import's CPU)."""
        if self.effect not in (Effect.CREATED, Effect.REQUEST):
            return ""
        return _tally(self.effect, self.stage, language or get_language())


@lru_cache(maxsize=64)
def _tally(effect: str, stage: str, _language: str | None) -> str:
    """``Outcome.tally``'s words, made once per language (asked of every row of a list)."""
    if effect == Effect.CREATED:
        return _("new at stage %(stage)s") % {"stage": Stage(stage).label}
    return _("catch-up requests to open")


def _behind(stage: str, target: str) -> bool:
    return FORWARD_STAGES.index(stage) < FORWARD_STAGES.index(target)


def round_outcome(
    *,
    category: str,
    event_date: dt.date | None,
    today: dt.date,
    listed_stage: str | None = None,
    stage: str | None = None,
    entry_request: str | None = None,
    other_pending: bool = False,
) -> Outcome:
    """What a round does to one listed project: ``stage`` is the stored project's (None for a
    project the list creates), ``listed_stage`` the file's stage column, ``entry_request`` the
    status of the request this list's entry already opened, ``other_pending`` whether another
    request of the project waits for a decision. No round or no category: nothing but the
    stage column (a portfolio)."""
    target = CATEGORY_MILESTONE.get(category) if event_date else None
    past = event_date is not None and event_date <= today
    if stage is None:  # the list creates it
        if target is None:
            return Outcome(Effect.CREATED, listed_stage or Stage.RESERVE)
        at = listed_stage or (target if past else Stage.RESERVE)
        if at in FORWARD_STAGES and not _behind(at, target):
            return Outcome(Effect.CREATED, at, day=event_date if past else None)
        if past:  # the stage column wins, behind the category: the event dates nothing
            return Outcome(Effect.CREATED, at)
        return Outcome(Effect.PLAN, target, day=event_date)
    if target is None:
        return Outcome(Effect.NOTHING)
    if past and listed_stage in FORWARD_STAGES and _behind(listed_stage, target):
        # the row's own stage column says the category's stage was not reached: it wins over
        # the category, as for a project the list creates (which it leaves at that stage), so
        # importing the same list again asks for nothing; a stored stage that differs from the
        # column is a warning, as everywhere
        return Outcome(Effect.NOTHING)
    if stage not in FORWARD_STAGES:
        return Outcome(Effect.CLOSED, target, current=stage)
    if not _behind(stage, target):
        return Outcome(Effect.REACHED, target, current=stage)
    if not past:
        return Outcome(Effect.PLAN, target, current=stage, day=event_date)
    if entry_request == RequestStatus.PENDING:
        return Outcome(Effect.OWN_PENDING, target, current=stage)
    if entry_request in (RequestStatus.REJECTED, RequestStatus.CANCELLED):
        return Outcome(Effect.NOT_REOPENED, target, current=stage, status=entry_request)
    if other_pending:
        return Outcome(Effect.PENDING, target, current=stage)
    return Outcome(Effect.REQUEST, target, current=stage, day=event_date)


def requests_known(project_ids, entry_ids) -> tuple[dict[int, str], set[int]]:
    """For the stored projects of a chunk, in one query: project → the status of the request
    its entry of the round (``entry_ids``, the round's entries of these projects) opened, and
    the projects with another request waiting."""
    by_entry: dict[int, str] = {}
    pending: set[int] = set()
    if not project_ids:
        return by_entry, pending
    entry_ids = set(entry_ids)
    found = StageRequest.objects.filter(bulk.among("project", project_ids, StageRequest))
    if entry_ids:
        found = found.filter(
            Q(status=RequestStatus.PENDING) | bulk.among("batch_entry", entry_ids, StageRequest)
        )
    else:  # a new round, or none of these listed in it yet
        found = found.filter(status=RequestStatus.PENDING)
    for project_id, status, entry_id in found.values_list("project_id", "status", "batch_entry"):
        if entry_id in entry_ids:
            by_entry[project_id] = status
        elif status == RequestStatus.PENDING:
            pending.add(project_id)
    return by_entry, pending


def request_row(outcome: Outcome, *, project_id: int, batch, source: str) -> dict[str, Any]:
    """A request from a list, as a row for ``open_requests`` (its entry and import set
    there)."""
    return {
        "project_id": project_id,
        "kind": RequestKind.LIST,
        "transition": outcome.transition,
        "target_stage": outcome.stage,
        "evidence": outcome.evidence,
        "note": _("From the list: %(batch)s") % {"batch": batch},
        "source": source[:200],
    }


def open_requests(rows: list[dict[str, Any]], *, by, record) -> int:
    """Open the requests of a chunk in one statement: requested by the person importing (even
    one who may not ask by hand), naming the import. Each row names its project, its batch
    entry, and what ``request_row`` gives."""
    if not rows:
        return 0
    made = bulk.with_defaults(
        StageRequest,
        (
            {
                **row,
                "requested_by_id": by.pk if by is not None else None,
                "spreadsheet_import_id": record.pk if record is not None else None,
            }
            for row in rows
        ),
    )
    return bulk.insert(StageRequest, made, with_ids=False)
