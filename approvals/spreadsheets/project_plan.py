"""A chunk of a 三个一批 list compared with what is stored (``compare``): everything a row may
touch (projects, enterprises, people, milestones, the batch's entries) fetched as plain rows in
a few queries, each row compared in memory, and what it would write gathered in a ``Plan``
(new rows, facts filled, milestones moved, entries changed, problems to open), with what the
preview shows of each row. ``project_write`` writes a plan."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from approvals.casework.problems import Listed
from approvals.core import bulk
from approvals.models import (
    PLANNED_DATE_LABELS,
    Batch,
    BatchEntry,
    Category,
    Milestone,
    ProblemSource,
    Project,
    Stage,
)
from approvals.spreadsheets import provenance
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.people import People
from approvals.spreadsheets.project_rows import (
    ENTRY_FIELDS,
    FACT_COLUMN,
    FACTS,
    PROJECT_FIELDS,
    Line,
    problem_change,
    problems_opened,
)
from approvals.stages.from_lists import Effect, Outcome, request_row, requests_known, round_outcome
from zones.models import Enterprise

MILESTONE_FIELDS = ("id", "project_id", "stage", "planned_date", "planned_month_only")


@dataclass
class New:
    """A row to create, pointing at others to create by their place in these lists (``ref``)."""

    values: dict[str, Any]
    project: int | None = None  # index into Plan.new_projects, when the project is new too


@dataclass
class Plan:
    """What one chunk of the list would write; ``project_write.write`` writes it."""

    report: Report
    batch: Batch | None = None  # None: a portfolio, imported without a round
    #: Whether the import names who imports (a request from the list is requested by them).
    by_someone: bool = True
    #: The day of the import, on which the round's event is judged past or ahead.
    today: dt.date = field(default_factory=timezone.localdate)
    #: The language the preview is worded in (read once, not for every row).
    language: str | None = field(default_factory=get_language)
    new_enterprises: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_projects: list[dict[str, Any]] = field(default_factory=list)
    project_fills: dict[int, dict[str, Any]] = field(default_factory=dict)
    new_milestones: list[New] = field(default_factory=list)
    moved_milestones: dict[int, tuple[dt.date, bool]] = field(default_factory=dict)
    new_entries: list[New] = field(default_factory=list)
    entry_changes: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: 存在问题 texts to open as problems: (stored project id, or the new project's ref; text)
    problems: list[tuple[int | None, int | None, str]] = field(default_factory=list)
    #: id(line) → (what ``problems_from_import`` found, the row's problem as listed to it)
    problem_notes: dict[int, tuple[Any, Listed]] = field(default_factory=dict)
    #: Requests from the list to open (``from_lists.request_row``), each with its entry: a
    #: stored one's id, or a new one's index into ``new_entries``.
    requests: list[tuple[dict[str, Any], int | None, int | None]] = field(default_factory=list)
    #: stored project id → the import whose facts this list corrects on it (the latest, when
    #: it corrects facts of several), named with this import in the history of the change
    corrections: dict[int, provenance.Written] = field(default_factory=dict)

    @property
    def writes_nothing(self) -> bool:
        """Whether ``project_write.write`` would write nothing: every row of the chunk is as
        stored (a list imported again unchanged)."""
        return not (
            self.new_enterprises
            or self.new_projects
            or self.project_fills
            or self.new_milestones
            or self.moved_milestones
            or self.new_entries
            or self.entry_changes
            or self.problems
            or self.requests
        )

    @property
    def as_of(self) -> dt.date | None:
        """Where this list stands among the imports that wrote facts: its round's event date,
        or None for a list without a round (``provenance.may_correct``)."""
        return self.batch.event_date if self.batch is not None else None


def compare(result: Plan, lines: list[Line], people: People, seen: dict, *, lock: bool) -> Plan:
    """Compare one chunk with what is stored, fetched in a few queries for the chunk."""
    report = result.report
    codes = {line.facts["code"] for line in lines if line.facts["code"]}
    stored_by_id: dict[int, dict] = {}

    def fetch(query) -> None:
        if lock:
            query = query.select_for_update(of=("self",))
        stored_by_id.update((p["id"], p) for p in bulk.plain_rows(query.order_by(), PROJECT_FIELDS))

    # One query by code, then one per zone by name for the rows whose code found nothing (a
    # row matched by its code is never matched by name: fetching every project twice was 8% of
    # re-importing a list), each served by its index (an OR of them made SQLite scan the table
    # for every chunk).
    if codes:
        fetch(Project.objects.filter(bulk.among("code", codes, Project)))
    found_codes = {p["code"] for p in stored_by_id.values()}
    by_name_only = [line for line in lines if line.facts["code"] not in found_codes]
    for zone_id, keys in _keys_by_zone(by_name_only).items():
        fetch(Project.objects.filter(bulk.among("name_key", keys, Project), zone_id=zone_id))
    stored = list(stored_by_id.values())
    by_code = {p["code"]: p for p in stored if p["code"]}
    by_name = Project.by_zone_and_key(stored)
    matched = _match(lines, by_code, by_name, seen, report)
    if report.errors:
        return result
    ids = set(matched.values())
    entries = {}
    if result.batch is not None and result.batch.pk:
        found = BatchEntry.objects.filter(
            bulk.among("project", ids, BatchEntry), batch=result.batch
        )
        entries = {
            e["project_id"]: e
            for e in bulk.plain_rows(found.order_by(), ("id", "project_id", *ENTRY_FIELDS))
        }
    milestones: dict[int, dict[str, dict]] = defaultdict(dict)
    for m in bulk.plain_rows(
        Milestone.objects.filter(bulk.among("project", ids, Milestone)).order_by(), MILESTONE_FIELDS
    ):
        milestones[m["project_id"]][m["stage"]] = m
    enterprises = _enterprises(lines, seen)
    people.remember(stored)
    by_id = {p["id"]: p for p in stored}
    # Requests a round may open: none for a portfolio (no round).
    requests = requests_known(ids if result.batch else (), [e["id"] for e in entries.values()])
    _plan_problems(result, lines, matched)
    listed = {id(line): _listed_facts(line, people, enterprises) for line in lines}
    written = _written(lines, listed, matched, by_id)
    for line in lines:
        facts = _people_and_enterprise(line, listed[id(line)], result)
        project = by_id.get(matched.get(id(line)))
        if project is None:
            _plan_new(result, line, facts)
        else:
            existing = (entries.get(project["id"]), milestones[project["id"]], requests)
            _plan_existing(result, line, project, facts, existing, people, written)
    return result


def _written(lines: list[Line], listed: dict, matched: dict, by_id: dict) -> dict:
    """Which import wrote each stored fact the list differs from (``provenance``): asked for
    the chunk's projects with such a fact only, in two queries (none on a re-import)."""
    differing = []
    for line in lines:
        project = by_id.get(matched.get(id(line)))
        facts = listed[id(line)][0]
        if project is not None and not _same_facts(project, facts):
            if any(_differs(project, facts, a) for a in FACTS):
                differing.append(project)
    return provenance.sources(differing, FACTS)


def _plan_problems(result: Plan, lines: list[Line], matched: dict[int, int]) -> None:
    """What the rows' 存在问题 would open, asked of ``problems_from_import`` without writing
    (``write`` opens them, once the new projects have their ids). A project the list creates
    has no id yet: a stand-in, negative, matches no problem recorded."""
    listed, lines_listed = [], []
    new = 0
    for line in lines:
        project_id = matched.get(id(line))
        ref = None
        if project_id is None:
            ref, new = new, new + 1  # the order _plan_new gives the chunk's new projects
        if line.problem:
            result.problems.append((project_id, ref, line.problem))
            listed.append(Listed(project_id if ref is None else -1 - ref, line.problem))
            lines_listed.append(line)
    if not listed:
        return
    batch = result.batch
    imported = problems_opened(
        listed,
        by=None,
        reported_on=batch.event_date if batch is not None else result.today,
        source=ProblemSource.LIST_IMPORT,
        batch=batch if batch is not None and batch.pk else None,
        dry_run=True,
    )
    for line, item in zip(lines_listed, listed, strict=True):
        result.problem_notes[id(line)] = (imported[item], item)


def _problem_change(result: Plan, line: Line) -> list:
    if id(line) not in result.problem_notes:
        return []
    imported, listed = result.problem_notes[id(line)]
    return problem_change(result.report, line.where, line.header("problems"), listed, imported)


def _keys_by_zone(lines: list[Line]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = defaultdict(set)
    for line in lines:
        keys[line.zone.pk].add(line.key)
    return keys


def _match(lines: list[Line], by_code, by_name, seen: dict, report: Report) -> dict[int, int]:
    """id(line) → the stored project it is: by code first, then by name within the zone. A
    project named twice in one list (``seen`` spans the whole file) is an error on the second
    row."""
    matched: dict[int, int] = {}
    for line in lines:
        code = line.facts["code"]
        project = by_code.get(code) if code else None
        if project is not None and project["zone_id"] != line.zone.pk:
            report.error(
                *line.where,
                line.header("code"),
                _("Code %(code)s is the code of a project of another zone.") % {"code": code},
            )
            continue
        if code and ("code", code) in seen:
            # a code is one project's: named by an earlier row (of this chunk, whose project
            # is not stored yet, or of an earlier one, whose is), whatever the names say
            report.error(
                *line.where,
                line.header("code"),
                _("Code %(code)s is the code of row %(row)d: a list names each project once.")
                % {"code": code, "row": seen[("code", code)]},
            )
            continue
        project = project or by_name.get((line.zone.pk, line.key))
        identity = ("stored", project["id"]) if project else ("new", line.zone.pk, line.key)
        if identity in seen:
            report.error(
                *line.where,
                line.header("name"),
                _("The same project as row %(row)d: a list names each project once.")
                % {"row": seen[identity]},
            )
            continue
        seen[identity] = line.number
        if code:
            seen[("code", code)] = line.number
        if project is not None:
            matched[id(line)] = project["id"]
    return matched


def _enterprises(lines: list[Line], seen: dict) -> dict[str, int]:
    """The stored enterprises the rows name: name → id. Each row's enterprise is then written
    as the enterprise is recorded: a stored one's name, else the list's first spelling of it
    (``seen`` spans the whole file). Names are found by their key (``Enterprise.name_key``):
    "（山西）" and "(山西)", or a space more, name one enterprise, as they name one project;
    by the name as written, a list made a second enterprise of the first."""
    keys = {line.enterprise_key for line in lines if line.enterprise}
    stored: dict[str, tuple[str, int]] = {}
    for name, key, pk in (
        Enterprise.objects.filter(bulk.among("name_key", keys, Enterprise))
        .order_by("pk")
        .values_list("name", "name_key", "id")
    ):
        stored.setdefault(key, (name, pk))  # the first recorded, should two share a key
    found: dict[str, int] = {}
    for line in lines:
        if not line.enterprise:
            continue
        if line.enterprise_key in stored:
            name, pk = stored[line.enterprise_key]
            found[name] = pk
            line.enterprise = name
        else:
            line.enterprise = seen.setdefault(("enterprise", line.enterprise_key), line.enterprise)
    return found


def _listed_facts(line: Line, people: People, enterprises: dict) -> tuple[dict, list]:
    """The row's facts with people and the enterprise as ids (a new enterprise by its name),
    and the people it names that cannot be assigned: [(column, why)]."""
    facts = dict(line.facts)
    problems = []
    for kind in ("officer", "leader"):
        name = getattr(line, kind)
        user_id, problem = people.find(line.zone, kind, name) if name else (None, "")
        facts[f"{kind}_id"] = user_id
        if problem:
            problems.append((kind, problem))
    facts["enterprise_id"] = None
    if line.enterprise:
        facts["enterprise_id"] = enterprises.get(line.enterprise)
        if facts["enterprise_id"] is None:
            facts["new_enterprise"] = line.enterprise
    return facts, problems


def _people_and_enterprise(line: Line, listed: tuple[dict, list], result: Plan) -> dict:
    """The row's facts (``_listed_facts``), its people problems warned and its new enterprise
    planned."""
    facts, problems = listed
    for kind, problem in problems:
        result.report.warn(*line.where, line.header(kind), problem)
    if facts.get("new_enterprise"):
        result.new_enterprises.setdefault(
            line.enterprise,
            {
                "name": line.enterprise,
                "name_key": line.enterprise_key,
                "created_in_zone_id": line.zone.pk,
            },
        )
    return facts


def _planned(line: Line, outcome: Outcome) -> dict[str, tuple[dt.date, bool, bool]]:
    """stage → (planned date, month only, planned by the category): where the round is still
    ahead, the category's milestone is due on the event date unless the row plans it."""
    dates = {stage: (*planned, False) for stage, planned in line.planned.items()}
    if outcome.effect == Effect.PLAN:
        stage = outcome.stage
        dates[stage] = (*dates[stage][:2], True) if stage in dates else (outcome.day, False, True)
    return dates


def _outcome(result: Plan, line: Line, project: dict | None = None, known=None) -> Outcome:
    """What the round does to the row's project (``from_lists.round_outcome``); a warning
    where it opens no request for a reason the importer should know."""
    batch = result.batch
    entry_request, other_pending = None, False
    if project is not None and known is not None:
        entry_request = known[0].get(project["id"])
        other_pending = project["id"] in known[1]
    outcome = round_outcome(
        category=line.category,
        event_date=batch.event_date if batch is not None else None,
        today=result.today,
        listed_stage=line.stage,
        stage=project["stage"] if project is not None else None,
        entry_request=entry_request,
        other_pending=other_pending,
    )
    if outcome.effect == Effect.REQUEST and not result.by_someone:
        result.report.warn(
            *line.where,
            line.header("category"),
            lambda: _("No catch-up request is opened without naming who imports (--user)."),
        )
        return Outcome(Effect.NOTHING)
    if outcome.warned:
        result.report.warn(*line.where, line.header("category"), outcome.text)
    result.report.tally(outcome.tally(result.language))
    return outcome


def _shown_day(day: dt.date | None, month_only: bool = False) -> str:
    if day is None:
        return "—"
    return f"{day:%Y-%m}" if month_only else day.isoformat()


def _source(result: Plan, line: Line) -> str:
    return f"{result.report.file_name} · {line.sheet} · {line.number}"[:200]


def _plan_new(result: Plan, line: Line, facts: dict) -> None:
    """A project the list creates: at the stage the round gives it (``_outcome``), the
    milestone the event reached dated on it, the rows' plans and the round's."""
    outcome = _outcome(result, line)
    at = outcome.stage if outcome.effect == Effect.CREATED else line.stage or Stage.RESERVE
    values = {k: v for k, v in facts.items() if k in FACTS and v not in (None, "")}
    values.update(name=line.name, name_key=line.key, zone_id=line.zone.pk, stage=at)
    values["new_enterprise"] = facts.get("new_enterprise")
    ref = len(result.new_projects)
    result.new_projects.append(values)
    planned = _planned(line, outcome)
    for stage in dict.fromkeys([*planned, *([outcome.reached] if outcome.reached else [])]):
        day, month_only, _category = planned.get(stage, (None, False, False))
        milestone = {"stage": stage, "planned_date": day, "planned_month_only": month_only}
        if stage == outcome.reached:
            milestone["actual_date"] = outcome.day
        result.new_milestones.append(New(milestone, ref))
    if result.batch is not None:
        entry = {**line.entry, "source": _source(result, line)}
        result.new_entries.append(New(entry, ref))
    problem = _problem_change(result, line)

    def changes() -> list:  # for the few rows the preview shows
        shown = [[str(_("stage")), "—", str(Stage(values["stage"]).label)]]
        if line.enterprise:
            shown.append([_label("enterprise_id"), "—", line.enterprise])
        for fact in ("total_investment", "expected_annual_output"):
            if values.get(fact) is not None:
                shown.append([_label(fact), "—", f"{values[fact].normalize():f}"])
        for stage, (day, month_only, _category) in planned.items():
            label = str(PLANNED_DATE_LABELS[stage])
            shown.append([label, "—", _shown_day(day, month_only)])
        return shown + problem

    title = f"{line.name}（{line.zone}）"
    result.report.count("created", *line.where, title, changes, outcome.text)


def _listed(facts: dict, attribute: str) -> Any:
    if attribute == "enterprise_id" and facts.get("new_enterprise"):
        return facts["new_enterprise"]  # by name: an enterprise the import creates
    return facts.get(attribute)


def _differs(project: dict, facts: dict, attribute: str) -> bool:
    """Whether the list gives a fact the project holds another of (not one it lacks)."""
    new, old = _listed(facts, attribute), project[attribute]
    if new in (None, "") or old in (None, ""):
        return False
    new_enterprise = attribute == "enterprise_id" and isinstance(new, str)
    return new_enterprise or not _same(old, new)


_same = provenance.same
_stored_facts = itemgetter(*FACTS)
_entry_fields = itemgetter(*ENTRY_FIELDS)


def _same_facts(project: dict, facts: dict) -> bool:
    """Whether the list gives every fact exactly as stored, compared as one tuple: the usual
    case on a re-import, where comparing fact by fact (``_differs``, twice) was 0.4 s of a
    10,000-row list (``benchmarks/import_bench.py``). False says nothing: compare one by one."""
    if facts.get("new_enterprise"):
        return False
    return _stored_facts(project) == _stored_facts(facts)


def _corrects(result: Plan, project_id: int, source: provenance.Written) -> None:
    earlier = result.corrections.get(project_id)
    if earlier is None or (source.as_of, source.import_id) > (earlier.as_of, earlier.import_id):
        result.corrections[project_id] = source


def _named(source: provenance.Written) -> str:
    return _("import #%(id)s of “%(file)s”, as of %(date)s") % {
        "id": source.import_id,
        "file": source.file_name,
        "date": source.as_of.isoformat(),
    }


def _label(attribute: str) -> str:
    return str(Project._meta.get_field(attribute.removesuffix("_id")).verbose_name)


def _plan_existing(
    result: Plan, line: Line, project: dict, facts: dict, existing, people, written: dict
) -> None:
    entry, milestones, requests = existing
    outcome = _outcome(result, line, project, requests)
    report = result.report
    changes: list[list[str]] = []
    if line.key != project["name_key"]:
        report.warn(
            *line.where,
            line.header("name"),
            _("The list names it “%(listed)s”; “%(kept)s” is kept.")
            % {"listed": line.name, "kept": project["name"]},
        )
    fills = {}
    for attribute in () if _same_facts(project, facts) else FACTS:
        new, old = _listed(facts, attribute), project[attribute]
        if new in (None, "") or not (old in (None, "") or _differs(project, facts, attribute)):
            continue  # the usual case on a re-import: nothing to say
        shown = line.enterprise if attribute == "enterprise_id" else people.shown(attribute, new)
        if old in (None, ""):
            fills[attribute] = new
            changes.append([_label(attribute), "—", shown])
            continue
        source = written.get((project["id"], attribute))
        column = line.header(FACT_COLUMN.get(attribute, attribute))
        kept = people.shown(attribute, old)
        if provenance.may_correct(source, result.as_of):
            fills[attribute] = new
            changes.append([_label(attribute), kept, shown])
            _corrects(result, project["id"], source)
        elif source is None:
            report.warn(
                *line.where,
                column,
                _("The list says %(listed)s; %(kept)s is kept: a person entered it.")
                % {"listed": shown, "kept": kept},
            )
        else:
            report.warn(
                *line.where,
                column,
                _("The list says %(listed)s; %(kept)s is kept: a later list wrote it (%(source)s).")
                % {"listed": shown, "kept": kept, "source": _named(source)},
            )
    if fills:
        result.project_fills[project["id"]] = fills
    if line.stage and line.stage != project["stage"]:
        report.warn(
            *line.where,
            line.header("stage"),
            _(
                "The list says “%(listed)s”; the project is at “%(kept)s”: a stage changes only "
                "by an approved request."
            )
            % {"listed": Stage(line.stage).label, "kept": Stage(project["stage"]).label},
        )
    changes += _plan_milestones(result, line, project["id"], milestones, outcome)
    changes += _plan_request(result, line, project["id"], entry, outcome)
    changes += _plan_entry(result, line, project["id"], entry)
    changes += _problem_change(result, line)
    kind = "changed" if changes else "unchanged"
    title = f"{project['name']}（{line.zone}）"
    report.count(kind, *line.where, title, changes, outcome.text)


def _plan_request(result: Plan, line: Line, project_id: int, entry, outcome: Outcome) -> list:
    """The request from the list a stored project behind the category gets, pointing at the
    round's entry for it (the one ``_plan_entry`` is about to add, when there is none yet)."""
    if outcome.effect != Effect.REQUEST:
        return []
    row = request_row(
        outcome, project_id=project_id, batch=result.batch, source=_source(result, line)
    )
    stored, new = (entry["id"], None) if entry else (None, len(result.new_entries))
    result.requests.append((row, stored, new))
    shown = f"{Stage(outcome.current).label} → {Stage(outcome.stage).label}"
    return [[str(_("catch-up request")), "—", shown]]


def _plan_milestones(
    result: Plan, line: Line, project_id: int, milestones: dict, outcome: Outcome
) -> list:
    changes = []
    for stage, (day, month_only, by_category) in _planned(line, outcome).items():
        stored = milestones.get(stage)
        if stored and (stored["planned_date"], stored["planned_month_only"]) == (day, month_only):
            continue  # the usual case on a re-import
        label = str(PLANNED_DATE_LABELS[stage])
        if stored is None:
            values = {"project_id": project_id, "stage": stage, "planned_date": day}
            result.new_milestones.append(New({**values, "planned_month_only": month_only}))
            changes.append([label, "—", _shown_day(day, month_only)])
            continue
        before = (stored["planned_date"], stored["planned_month_only"])
        if before == (day, month_only):
            continue
        if before[0] is None or by_category:  # the category sets or moves its milestone
            changes.append([label, _shown_day(*before), _shown_day(day, month_only)])
            result.moved_milestones[stored["id"]] = (day, month_only)
        else:
            result.report.warn(
                *line.where,
                "",
                _("The list plans %(stage)s for %(listed)s; %(kept)s is kept.")
                % {"stage": Stage(stage).label, "listed": day, "kept": before[0]},
            )
    return changes


def _plan_entry(result: Plan, line: Line, project_id: int, entry: dict | None) -> list:
    if result.batch is None:
        return []  # a portfolio: no round, no entry
    if entry is None:
        values = {**line.entry, "source": _source(result, line), "project_id": project_id}
        result.new_entries.append(New(values))
        return [[str(result.batch), "—", str(Category(line.category).label)]]
    if _entry_fields(entry) == _entry_fields(line.entry):
        return []  # the usual case on a re-import, as one tuple
    differ = {f: line.entry[f] for f in ENTRY_FIELDS if not _same(entry[f], line.entry[f])}
    if not differ:
        return []
    result.entry_changes[entry["id"]] = {**differ, "source": _source(result, line)}
    return [
        [
            f"{result.batch} · {BatchEntry._meta.get_field(name).verbose_name}",
            str(entry[name] or "—"),
            str(value or "—"),
        ]
        for name, value in differ.items()
    ]
