"""Inserting many rows at once without building a model instance for each.

Django's ``bulk_create`` compiles every value of every row through the field machinery and
needs model instances, and simple-history's bulk helper builds a second instance per row; on a
10,000-row list that was three quarters of the import's time here. These helpers insert plain
dicts with one prepared statement (``executemany``) per table, or PostgreSQL's COPY, with each
column's conversion chosen once; rows made of rows just stored (their history, a creation
record) are copied by the database itself (``insert_from``). Ids are taken before inserting,
so that rows pointing at new rows can be built in memory: from the sequence on PostgreSQL,
and on SQLite past the highest id ever given (the import holds SQLite's write lock from its
first statement: transactions start IMMEDIATE here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connection, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.expressions import RawSQL, Value
from django.utils import timezone

Convert = Callable[[Any], Any]


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence named once, in the statement: as an argument of nextval, its name
            # was looked up again for every id (30 of 33 ms for 13,000 ids)
            sequence = _sequence(cursor, table).replace("'", "''")
            cursor.execute(
                f"SELECT nextval('{sequence}'::regclass) FROM generate_series(1, %s)", [count]
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise ImproperlyConfigured(
                f"ids are allocated on PostgreSQL and SQLite, not {connection.vendor}"
            )
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
    return list(range(start, start + count))


_SEQUENCES: dict[tuple[str, str], str] = {}


def _sequence(cursor, table: str) -> str:
    """The sequence numbering ``table``'s ids (asked once per database and table)."""
    key = (connection.settings_dict["NAME"], table)
    if key not in _SEQUENCES:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        _SEQUENCES[key] = cursor.fetchone()[0]
    return _SEQUENCES[key]


#: The turn every import that writes takes (``take_turn``): the imports of lists, of monthly
#: tables and of approval tables read and write the same projects, enterprises and rows.
IMPORTS = "imports"


def take_turn(name: str) -> None:
    """Wait until no other open transaction holds the turn ``name``, then hold it to the end of
    the caller's transaction: writers that compare before they write see what the one before
    them committed. Two lists naming one new project, confirmed at once on PostgreSQL, each
    compared before the other wrote, planned it new, and the second's insert met the
    first's (an IntegrityError instead of a report). On PostgreSQL a transaction-level
    advisory lock; on SQLite writers take turns already (a writing transaction starts
    IMMEDIATE, holding the database's write lock from its first statement)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"projectdesk:{name}"])


def among(field: str, values, model: type[models.Model]) -> models.Q:
    """``field__in=values`` for a long list of texts or numbers, as one parameter instead of
    thousands of placeholders, which Django and the driver each work through one by one (on
    SQLite, 0.3 s of a 10,000-row re-import; a fifth of the reminder scan's Python at 100,000
    projects). On PostgreSQL an array, written ``IN (SELECT unnest(…))``, not ``= ANY(…)``:
    the planner can then join (hash or index) even on statistics that do not know yet of rows
    inserted a moment ago, where ``= ANY`` became a scan testing every row against the whole
    array (1 s per 5,000 names on 100,000 rows), and joins a chunk of ids by primary key where
    5,000 values made it hash every project (benchmarks/README.md section 18). On SQLite a JSON
    array read by ``json_each``. A ``Q``: Django names the column with its table, so the query
    may join others."""
    values = list(values)
    if connection.vendor in ("sqlite", "postgresql"):
        listed = RawSQL(*listed_values(values, model._meta.get_field(field)))
    else:
        listed = values
    return models.Q(**{f"{field}__in": listed})


def listed_values(values: list, field: models.Field) -> tuple[str, tuple]:
    """A subquery of ``values`` (of ``field``'s kind) given as one parameter, and that parameter:
    a JSON array read by ``json_each`` on SQLite, an array ``unnest``-ed on PostgreSQL (why:
    ``among``)."""
    if connection.vendor == "sqlite":
        return "SELECT value FROM json_each(%s)", (json.dumps(values, ensure_ascii=False),)
    kind = (field.target_field if field.is_relation else field).cast_db_type(connection)
    return f"SELECT unnest(%s::{kind}[])", (array_literal(values),)


def array_literal(values: list) -> str | list:
    """PostgreSQL's text form of an array of numbers or texts (``{1,2}``, ``{"a","b\\"c"}``),
    given as one text parameter; other values as the list itself, which the driver writes.
    Hand-written for a measured need: the driver writes a list element by element in Python
    (quoting each through its dumper), 60 of the 660 ms of re-importing a 10,000-row list on
    PostgreSQL (``benchmarks/import_bench.py``), where joining the texts is a few ms."""
    if all(type(v) is int for v in values):
        return "{" + ",".join(map(str, values)) + "}"
    if all(type(v) is str for v in values):
        quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
        return '{"' + '","'.join(quoted) + '"}'
    return values


def plain_rows(queryset: models.QuerySet, fields: Sequence[str]) -> list[dict[str, Any]]:
    """``queryset.values(*fields)`` as a list, fetched at once, each column's converters (a
    decimal on SQLite) applied column by column. Hand-written for the imports' comparisons:
    Django's iterator runs every converter through a generator made for each row and builds
    each dict in a comprehension (5,000 projects: 35-71 ms that way, 26-37 ms this way, on
    SQLite; ``benchmarks/import_bench.py``)."""
    query = queryset.values_list(*fields)
    compiler = query.query.get_compiler(using=query.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return []
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    connection_ = connections[query.db]
    with connection_.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = [list(row) for row in rows]
        for index, (functions, expression) in converters.items():
            for row in rows:
                value = row[index]
                for convert in functions:
                    value = convert(value, expression, connection_)
                row[index] = value
    return [dict(zip(fields, row, strict=True)) for row in rows]


class Statistics:
    """The PostgreSQL planner's statistics of the tables an import fills, kept in step with
    it: ANALYZE (allowed inside the import's transaction, which it sees) before reading again
    (``ready``), once the rows written since the last count (``grew``) reach the rows known
    then. Planned on statistics of an empty table, a lookup of 250 names in a zone of 5,000
    projects compared every pair (0.4 s a query, 40 s of a 100,000-row import); recounted at
    1,000, 2,000, 4,000 … rows, it is an index lookup. Counted before the next read, not after
    each write, so that the last chunk's rows are not counted for nobody (70–140 ms of a
    10,000-row first import). Only the ``columns`` the reads look rows up by, where given, are
    counted: the row count comes with them, and the other columns' statistics, which these
    reads do not use, cost 84 of ANALYZE's 101 ms over 10,000 new projects with their
    milestones and entries (the next ANALYZE, autovacuum's, counts them all). Elsewhere
    nothing to do (Django never runs SQLite's ANALYZE)."""

    def __init__(
        self,
        *models_: type[models.Model],
        columns: dict[type[models.Model], Sequence[str]] | None = None,
    ):
        self.tables = [m._meta.db_table for m in models_]
        columns = columns or {}
        self.analyzed = [
            connection.ops.quote_name(m._meta.db_table)
            + (
                " ({})".format(
                    ", ".join(
                        connection.ops.quote_name(m._meta.get_field(name).column)
                        for name in columns[m]
                    )
                )
                if m in columns
                else ""
            )
            for m in models_
        ]
        self.known: float | None = None
        self.since = 0

    def _rows(self) -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
                [connection.ops.quote_name(self.tables[0])],
            )
            return cursor.fetchone()[0]

    def grew(self, rows: int) -> None:
        """``rows`` were written to the first table (and with them rows to the others)."""
        if connection.vendor != "postgresql" or not rows:
            return
        if self.known is None:
            self.known = self._rows()
        self.since += rows

    def ready(self) -> None:
        """Before reading the tables again: their statistics recounted if they grew enough."""
        if self.known is None or self.since < max(1000, self.known):
            return
        with connection.cursor() as cursor:
            for table in self.analyzed:
                cursor.execute(f"ANALYZE {table}")
        self.known = self._rows()
        self.since = 0


def _remembered(convert: Convert) -> Convert:
    """``convert`` once per distinct value: an import's rows share a handful of times (the
    history rows' ``now``) and dates, and Django's adapters cost 6 µs each (0.5 s of 10,000
    new projects on SQLite)."""
    done: dict[Any, Any] = {}

    def remembered(value):
        try:
            return done[value]
        except KeyError:
            done[value] = converted = convert(value)
            return converted

    return remembered


def _json_converter(adapt: Convert) -> Convert:
    """A JSON column's adapter, encoding once the value many rows share: the same object given
    to every row (the evidence of an import's stage changes) or an empty list or object (a
    default). Encoding it for each row was 0.2 of 1.9 CPU s of a first 10,000-row import."""
    last: list[Any] = [None, None]  # the last value encoded, and its encoding
    empty: dict[type, Any] = {}

    def convert(value):
        if value is None:
            return None
        if value is last[0]:
            return last[1]
        if not value and type(value) in (list, dict):
            if type(value) not in empty:
                empty[type(value)] = adapt(value)
            return empty[type(value)]
        last[:] = [value, adapt(value)]
        return last[1]

    return convert


def _converter(field: models.Field) -> Convert | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return _remembered(ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        # PostgreSQL's adapter gives the date as it is, SQLite's its ISO text, which the sqlite3
        # module's adapter that Django registers writes too: given as they are, no call per date
        if connection.vendor in ("postgresql", "sqlite"):
            return None
        return _remembered(ops.adapt_datefield_value)
    if isinstance(field, models.DecimalField):
        if type(ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value:
            return None  # the value as it is (the driver writes a Decimal)
        return _remembered(
            lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        )
    if isinstance(field, models.JSONField):
        # the adapter alone: the field's save path around it cost 80 µs a row (1.6 s of 10,000
        # new projects' 20,000 JSON values under cProfile, ``benchmarks/import_bench.py``)
        encoder = field.encoder
        return _json_converter(lambda v: ops.adapt_json_value(v, encoder))
    return None  # the value as it is


def _default(field: models.Field, now) -> Callable[[], Any]:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda: now
    if field.has_default():
        return field.get_default
    if field.has_db_default() and isinstance(field._db_default_expression, Value):
        # a column with a database default only (``db_default=0``): its value, as the
        # database would give it (the INSERT names every column)
        value = field._db_default_expression.value
        return lambda: value
    return lambda: None if field.null else ("" if field.empty_strings_allowed else None)


def with_defaults(
    model: type[models.Model], rows: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows with every column: what a row leaves out takes its field's default (as ``save()``
    would give it), so that the same dict serves the row and its history."""
    now = timezone.now()
    # Defaults that are one value (most) are taken once, as a row to lay each row over; a
    # callable default (``dict``, ``list``) is called for each row that leaves its field out,
    # so that no two rows share one. (A call per field and row was 1 s of 10,000 new projects
    # under cProfile, ``benchmarks/import_bench.py``.)
    constant: dict[str, Any] = {}
    called: list[tuple[str, Callable[[], Any]]] = []
    for f in model._meta.concrete_fields:
        if f.has_default() and callable(f.default):
            called.append((f.attname, f.default))
        else:
            constant[f.attname] = _default(f, now)()
    made = []
    for row in rows:
        full = {**constant, **row}
        for name, default in called:
            if name not in row:
                full[name] = default()
        made.append(full)
    return made


def _row_maker(plan: list[tuple[str, Callable[[], Any], Convert | None]]):
    """row dict → the tuple of its columns: all at once by ``itemgetter`` when the row has
    every column (as ``with_defaults`` makes them), then the few values that need converting
    (a call per field and row was a third of inserting 10,000 projects)."""
    names = [name for name, _default, _convert in plan]
    getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    converted = [(i, convert) for i, (_n, _d, convert) in enumerate(plan) if convert]

    def make(row: dict[str, Any]) -> tuple:
        try:
            values = getter(row)
        except KeyError:
            values = tuple(row[name] if name in row else default() for name, default, _ in plan)
        if not converted:
            return values
        values = list(values)
        for i, convert in converted:
            value = values[i]
            if value is not None:
                values[i] = convert(value)
        return tuple(values)

    return make


def insert(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    *,
    with_ids: bool = True,
    batch: int = 2000,
) -> int:
    """Insert ``rows`` (attname → value; columns left out take their field's default). Without
    ``with_ids`` the database numbers the rows."""
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if with_ids or f is not pk]
    now = timezone.now()
    plan = [(f.attname, _default(f, now), _converter(f)) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    values = map(_row_maker(plan), rows)
    if connection.vendor == "postgresql":
        return copy_rows(table, columns, values)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    count = 0
    chunk: list[tuple] = []
    with connection.cursor() as cursor:
        for row in values:
            chunk.append(row)
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def copy_rows(table: str, columns: str, values: Iterable[tuple]) -> int:
    """PostgreSQL's COPY: one stream per table instead of a statement per row. The driver's
    errors come out as Django's (a refused row is an ``IntegrityError``), as a statement's do."""
    count = 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
                count += 1
    return count


def insert_history(
    model: type[models.Model], rows: list[dict[str, Any]], *, user_id: int | None, reason: str
) -> int:
    """The django-simple-history rows of newly created ``rows`` (which carry their ids), copied
    by the database from the rows just stored (``insert_from``), as simple-history copies an
    instance's fields, with the history's own columns (when, "+", why, who) the same for all."""
    history = model.history.model
    own = {"history_id", "history_date", "history_type", "history_change_reason", "history_user_id"}
    stored = {f.attname for f in model._meta.concrete_fields}
    return insert_from(
        history,
        model,
        [row[model._meta.pk.attname] for row in rows],
        copied={
            f.attname: f.attname
            for f in history._meta.concrete_fields
            if f.attname in stored and f.attname not in own
        },
        given={
            "history_date": timezone.now(),
            "history_type": "+",
            "history_change_reason": reason[:100],
            "history_user_id": user_id,
        },
    )


def insert_from(
    model: type[models.Model],
    source: type[models.Model],
    ids: Sequence[int],
    *,
    copied: dict[str, str],
    given: dict[str, Any],
) -> int:
    """A row of ``model`` for each stored row of ``source`` among ``ids``, in their ids' order,
    made by the database (``INSERT … SELECT``): the fields ``copied`` (``model``'s attname →
    ``source``'s) taken from that row, those ``given`` the same for every row, every other
    field its default (one value for all: a callable default is called once).
    Hand-written for a measured need: the same rows bound value by value through the driver
    took four times what the database's copy takes (on SQLite 0.13 against 0.03 s for 10,000
    projects' history; ``benchmarks/README.md`` section 3c); on PostgreSQL the rows need not
    be formatted, sent and parsed again."""
    if not ids:
        return 0
    now = timezone.now()
    quote = connection.ops.quote_name
    sources = {f.attname: f.column for f in source._meta.concrete_fields}
    taken: list[tuple[str, str]] = []  # (column, source column)
    bound: list[tuple[str, Any]] = []  # (column, value)
    for f in model._meta.concrete_fields:
        if f.primary_key and f.attname not in copied and f.attname not in given:
            continue  # numbered by the database
        if f.attname in copied:
            taken.append((f.column, sources[copied[f.attname]]))
        else:
            value = given[f.attname] if f.attname in given else _default(f, now)()
            bound.append((f.column, _adapted(f, value)))
    key = quote(source._meta.pk.column)
    listed, listed_params = listed_values(list(ids), source._meta.pk)
    names = ", ".join(quote(column) for column, _ in [*taken, *bound])
    selected = ", ".join([*(quote(column) for _, column in taken), *(["%s"] * len(bound))])
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
        f"SELECT {selected} FROM {quote(source._meta.db_table)} "
        f"WHERE {key} IN ({listed}) ORDER BY {key}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(value for _, value in bound), *listed_params])
        return cursor.rowcount


def _adapted(field: models.Field, value: Any) -> Any:
    """A value as a parameter of a raw statement, through its field's conversion."""
    convert = _converter(field)
    return convert(value) if convert is not None and value is not None else value
