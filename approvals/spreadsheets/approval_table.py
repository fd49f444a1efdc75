"""Importing an approval progress table (前期手续办理进度表, guide sections 8.2 and 11): one row
per project, one column per catalogue item. A cell states a fact of record: an item's mode, or
its status through the transition only imports run, each change recorded like one made by hand
(who: the importing person; a note naming the file). Unknown projects and unknown words are
errors, and then nothing is written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from approvals.access import permissions
from approvals.cases.project_code import is_project_code, normalise_project_code
from approvals.checklist import counters, foresight
from approvals.core import bulk
from approvals.figures import changes as figures_changes
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    CalendarDay,
    ItemModeChange,
    ItemStatus,
    ItemStatusChange,
    Mode,
    ModeOrigin,
    Project,
    TransitionRefused,
)
from approvals.spreadsheets import cells
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.reading import (
    Column,
    Row,
    SpreadsheetRefused,
    clean_header,
    is_blank,
    sheets_with_header,
)
from zones.models import Zone

BATCH_SIZE = 1000
HEADERS = {
    "序号": "sequence",
    **dict.fromkeys(["项目代码", "项目统一代码", "项目审批代码"], "code"),
    "项目名称": "name",
    **dict.fromkeys(["所在开发区", "开发区", "所属开发区", "园区"], "zone"),
}
ITEM_FIELDS = (
    "mode",
    "status",
    "accepted_on",
    "is_provisional",
    "supplement_due",
    "approved_on",
    "outcome_reason",
    "deadline",
    "deadline_uncovered_years",
    "document_number",
)


def catalogue_headers() -> dict[str, ApprovalType]:
    """A column names an item by its name, code or short name, as written in the header."""
    headers: dict[str, ApprovalType] = {}
    for kind in ApprovalType.objects.filter(is_active=True):
        for written in (kind.code, kind.name, *kind.short_name_list()):
            headers.setdefault(clean_header(written)[0], kind)
    return headers


@dataclass
class Plan:
    report: Report
    new_items: list[ApprovalItem] = field(default_factory=list)
    changed_items: dict[int, ApprovalItem] = field(default_factory=dict)
    mode_changes: list[ItemModeChange] = field(default_factory=list)
    status_changes: list[ItemStatusChange] = field(default_factory=list)


@dataclass
class TableRow:
    row: Row
    columns: dict[str, Column]
    items: dict[int, ApprovalType]  # column index → the catalogue item it names
    headers: dict[int, str]  # column index → its header as written

    def text(self, field_name: str) -> str:
        column = self.columns.get(field_name)
        return cells.text(self.row.value(column)) if column else ""

    def header(self, field_name: str) -> str:
        column = self.columns.get(field_name)
        return column.header if column else ""

    @property
    def code(self) -> str:
        """The project code when the cell holds one (not "待赋码", "/" or a code being issued)."""
        code = normalise_project_code(self.text("code"))
        return code if is_project_code(code) else ""

    @property
    def is_note(self) -> bool:
        """A footnote under the table: no code, no name, no item filled in."""
        cells_ = self.row.cells
        filled = any(i < len(cells_) and not is_blank(cells_[i]) for i in self.items)
        return not (self.text("code") or self.text("name") or filled)


def _table_rows(source, file_name: str, kinds: dict, report: Report) -> list[TableRow]:
    def is_header(columns: dict[str, Column], others) -> bool:
        identity = "code" in columns or "name" in columns
        return identity and any(name in kinds for _index, name, _unit in others)

    rows: list[TableRow] = []
    try:
        for sheet, others in sheets_with_header(source, file_name, HEADERS, is_header):
            items, headers = {}, {}
            for index, name, _unit in others:
                if name not in kinds:
                    continue
                kind = kinds[name]
                twin = next((headers[i] for i, k in items.items() if k.pk == kind.pk), None)
                if twin is not None:
                    report.error(
                        sheet.name,
                        sheet.header_row,
                        name,
                        _("Columns “%(one)s” and “%(other)s” both name %(item)s: keep one.")
                        % {"one": twin, "other": name, "item": kind},
                    )
                    continue
                items[index], headers[index] = kind, name
            for row in sheet.rows:
                table_row = TableRow(row, sheet.columns, items, headers)
                if not table_row.is_note:
                    rows.append(table_row)
    except SpreadsheetRefused as refused:
        report.error(file_name, 0, "", str(refused))
        return []
    if not rows and not report.errors:
        report.error(
            file_name,
            0,
            "",
            _(
                "No sheet has a header row naming 项目代码 or 项目名称 and at least one approval item."
            ),
        )
    report.rows = len(rows)
    return rows


def plan(source, file_name: str, *, by=None, record=None, progress=None, lock=False) -> Plan:
    """Compare every cell with the item it names, writing nothing; every problem of the file
    is reported at once."""
    report = Report(file_name=file_name)
    result = Plan(report)
    rows = _table_rows(source, file_name, catalogue_headers(), report)
    projects = _projects(rows, report, permissions.import_zones(by), lock)
    stored = ApprovalItem.objects.filter(project__in=set(projects.values())).order_by()
    if lock:  # of self, unordered: the model's ordering would join zones, nullable on PostgreSQL
        stored = stored.select_for_update(of=("self",))
    items = {(i.project_id, i.approval_type_id): i for i in stored.select_related("approval_type")}
    calendar = CalendarDay.objects.calendar()
    label = str(record.label) if record is not None else file_name
    for done, table_row in enumerate(rows, 1):
        row = table_row.row
        project_id = projects.get((row.sheet, row.number))
        changes: list[list[str]] = []
        for index, kind in table_row.items.items():
            column = table_row.headers[index]
            try:
                fact = cells.approval_cell(row.cells[index] if index < len(row.cells) else "")
            except cells.CellError as error:
                report.error(row.sheet, row.number, column, str(error))
                continue
            if fact is None or project_id is None:
                continue  # an empty cell changes nothing; an unknown project is reported
            item = items.get((project_id, kind.pk))
            try:
                changed = _apply_fact(result, project_id, kind, item, fact, by, label, calendar)
            except TransitionRefused as refused:  # a date in the future
                report.error(row.sheet, row.number, column, str(refused))
                continue
            if changed:
                changes.append([f"{kind.code} {kind.name}", *changed])
        if project_id is not None:
            title = table_row.text("name") or table_row.code
            report.count(
                "changed" if changes else "unchanged", row.sheet, row.number, title, changes
            )
        if progress and done % 2000 == 0:
            progress(done, len(rows))
    return result


def _projects(rows: list[TableRow], report: Report, allowed, lock) -> dict[tuple[str, int], int]:
    """(sheet, row) → the project it names: by its code, or else by its name within the zone
    (a code not issued yet, or not recorded yet, does not hide a project named right)."""
    zones = _zones()
    stored = _stored_projects(rows, zones)
    by_code = {p["code"]: p for p in stored.values() if p["code"]}
    by_name = Project.by_zone_and_key(stored.values())
    result: dict[tuple[str, int], int] = {}
    seen: dict[int, int] = {}
    for r in rows:
        row = r.row
        zone = zones.get(cells.name_key(r.text("zone")))
        # The zone first: a row of a zone one may not import for says only that, not whether
        # a project of that zone exists.
        if allowed is not None and zone is not None and zone.pk not in allowed:
            report.error(
                row.sheet,
                row.number,
                r.header("zone"),
                _("You may not import for “%(zone)s”.") % {"zone": zone},
            )
            continue
        project = by_code.get(r.code) if r.code else None
        if project is None and zone is not None:
            project = by_name.get((zone.pk, cells.name_key(r.text("name"))))
        if project is not None and allowed is not None and project["zone_id"] not in allowed:
            project = None  # another zone's, by its code: as unknown as to that person
        if project is None:
            what = r.code or f"“{r.text('name')}”（{r.text('zone') or '—'}）"
            report.error(
                row.sheet,
                row.number,
                r.header("code") if r.code else r.header("name"),
                _(
                    "No project %(what)s is recorded: an approval table updates existing projects only."
                )
                % {"what": what},
            )
            continue
        if project["id"] in seen:
            report.error(
                row.sheet,
                row.number,
                "",
                _("The same project as row %(row)d: a table names each project once.")
                % {"row": seen[project["id"]]},
            )
            continue
        seen[project["id"]] = row.number
        result[(row.sheet, row.number)] = project["id"]
    if lock and result:
        locked = Project.objects.select_for_update(of=("self",)).order_by()
        list(locked.filter(pk__in=set(result.values())).values("pk"))
    return result


def _zones() -> dict[str, Zone]:
    """Each zone by every normalised name it goes by."""
    zones = {}
    for zone in Zone.objects.all():
        for key in zone.normalised_names():
            zones.setdefault(key, zone)
    return zones


def _stored_projects(rows: list[TableRow], zones: dict[str, Zone]) -> dict[int, dict]:
    """The stored projects the rows may name, by id: by code, and by name within each zone."""
    codes = {r.code for r in rows if r.code}
    keys: dict[int, set[str]] = defaultdict(set)
    for r in rows:
        zone = zones.get(cells.name_key(r.text("zone")))
        if zone is not None and r.text("name"):
            keys[zone.pk].add(cells.name_key(r.text("name")))
    fields = ("id", "zone_id", "name_key", "code")
    queries = [Project.objects.filter(code__in=codes)] if codes else []
    queries += [Project.objects.filter(zone_id=z, name_key__in=k) for z, k in keys.items()]
    return {p["id"]: p for query in queries for p in query.values(*fields)}


def _shown(item: ApprovalItem | None) -> str:
    if item is None:
        return "—"
    if item.mode != Mode.APPROVAL:
        return str(item.get_mode_display())
    day = item.approved_on if item.status == ItemStatus.APPROVED else item.accepted_on
    status = str(item.get_status_display())
    return f"{status} {day}" if day else status


def _apply_fact(
    result: Plan, project_id, kind, item, fact, by, label, calendar
) -> list[str] | None:
    """Change ``item`` in memory to what the cell states; the change shown, or None."""
    mode, status, day, provisional = fact
    before = _shown(item)
    new = item is None
    item = _apply_mode(result, project_id, kind, item, mode, by, label)
    if status is not None:
        _apply_status(result, item, new, (status, day, provisional), by, label)
    item.deadline, uncovered = item.compute_deadline(calendar)
    item.deadline_uncovered_years = ",".join(str(y) for y in sorted(uncovered))
    after = _shown(item)
    return [before, after] if new or before != after else None


def _apply_mode(result: Plan, project_id, kind, item, mode, by, label) -> ApprovalItem:
    """The item in ``mode``: a new one (the type's first row for the project), or the stored
    one with its mode changed if the cell says another; each change of mode recorded."""
    if item is None:
        item = ApprovalItem(project_id=project_id, approval_type=kind, mode=mode, officer=None)
        item._changed_by = by
        result.new_items.append(item)
        result.mode_changes.append(
            ItemModeChange(
                item=item, source="", target=mode, origin=ModeOrigin.IMPORT, reason=label, by=by
            )
        )
    elif item.mode != mode:
        result.mode_changes.append(
            ItemModeChange(
                item=item,
                source=item.mode,
                target=mode,
                origin=ModeOrigin.IMPORT,
                reason=label,
                by=by,
            )
        )
        item.mode = mode
        result.changed_items[item.pk] = item
    return item


def _apply_status(result: Plan, item: ApprovalItem, new: bool, stated, by, label) -> None:
    """The status (and its day) the cell states, recorded as an import unless the item is
    there already."""
    status, day, provisional = stated
    same = item.status == status and (
        (status == ItemStatus.APPROVED and (day is None or item.approved_on == day))
        or (
            status == ItemStatus.ACCEPTED
            and (day is None or item.accepted_on == day)
            and item.is_provisional == provisional
        )
        or status in (ItemStatus.PREPARING, ItemStatus.NOT_STARTED)
    )
    if same:
        return
    if status == ItemStatus.APPROVED and day is None and item.status == ItemStatus.APPROVED:
        day = item.approved_on
    source = item.status
    item.record_import(status=status, on=day, provisional=provisional)
    item._pending_records.clear()  # written below, in bulk, naming the file
    result.status_changes.append(
        ItemStatusChange(
            item=item,
            transition="record_import",
            source=source,
            target=status,
            by=by,
            comment=label,
            evidence={"on": day.isoformat() if day else None, "provisional": provisional},
        )
    )
    if not new:
        result.changed_items[item.pk] = item


def write(result: Plan, *, by, record) -> None:
    """Write the plan. Every record of one import bears the same moment, written in the order
    things happened: an item's creation before the status it was given."""
    label = str(record.label)
    now = timezone.now()
    bulk_create_with_history(
        result.new_items,
        ApprovalItem,
        batch_size=BATCH_SIZE,
        default_user=by,
        default_change_reason=label,
        default_date=now,
    )
    created = [
        ItemStatusChange(item=item, source="", target=ItemStatus.NOT_STARTED, by=by, comment=label)
        for item in result.new_items
    ]
    for record_row in (*created, *result.status_changes, *result.mode_changes):
        record_row.at = now
    ItemStatusChange.objects.bulk_create([*created, *result.status_changes], batch_size=BATCH_SIZE)
    ItemModeChange.objects.bulk_create(result.mode_changes, batch_size=BATCH_SIZE)
    if result.changed_items:
        bulk_update_with_history(
            list(result.changed_items.values()),
            ApprovalItem,
            list(ITEM_FIELDS),
            batch_size=BATCH_SIZE,
            default_user=by,
            default_change_reason=label,
            default_date=now,
        )
    touched = {item.project_id for item in result.new_items}
    touched |= {item.project_id for item in result.changed_items.values()}
    foresight.refresh(touched)
    counters.store_projects(touched)  # the checklist counters of the readiness figure
    figures_changes.changed(projects=touched)


def run(source, file_name: str, *, by, record, dry_run=False, progress=None) -> Report:
    """All or nothing, on rows locked for the while."""
    with transaction.atomic():
        if not dry_run:
            bulk.take_turn(bulk.IMPORTS)
        result = plan(source, file_name, by=by, record=record, progress=progress, lock=not dry_run)
        if result.report.ok and not dry_run:
            write(result, by=by, record=record)
            result.report.applied = True
    return result.report
