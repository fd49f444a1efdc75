"""The outbox: the reminders a scan found, recorded once, then sent. Each becomes a ``Reminder``
row under a unique key (subject, step, recipient, period): the scan run twice, by two workers or
again after a retry, makes each reminder once. A person who holds two steps of the ladder for
one subject (a supervisor standing in for a missing officer, a supervisor who is also the
leader) hears of it once a period: not again while it heard of the subject since the step's
period began, and of the highest step when two are new the same day. ``deliver()`` then sends the pending ones, each
claimed in the database first: into the recipient's inbox in the desk, and by email when it has
an address. A failed email is tried again later, each time after a longer wait; a claim lapses,
so a worker that died after claiming leaves the reminder to the next run.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from approvals.cases.colours import warnings
from approvals.core.bulk import among
from approvals.models import Delivery, EmailState, Reminder, Step
from approvals.reminders.ladder import Found
from approvals.reminders.scan import CHUNK, Scan

#: How long a claim holds: a worker that died holding one frees it after this.
LEASE = dt.timedelta(minutes=10)
#: Attempts at an email before it is given up (the reminder stays in the inbox).
MAX_ATTEMPTS = 6
#: Rows inserted per statement on SQLite (16 columns: well under its 32,766 parameters).
BATCH = 500


#: Of two steps new for one person and subject the same day, the higher is sent.
RANK = {Step.AT_RISK: 0, Step.OFFICER: 1, Step.SUPERVISOR: 2, Step.LEADER: 3}


def new_reminders(found: Scan | list[Found | Reminder]) -> list[Found | Reminder]:
    """The found reminders not made before (looked up in one query per subject type and chunk
    of subjects), one per person and subject at most: none when the person heard of the
    subject since the reminder's period began (``period_began``, from the ladder), else the
    highest step's. ``found``: a whole scan, or one of its chunks (``scan.chunks``)."""
    found = found.reminders if isinstance(found, Scan) else found
    subjects: dict[int, set[int]] = defaultdict(set)
    for r in found:
        subjects[r.subject_type_id].add(r.subject_id)
    existing = set()
    heard: dict[tuple[int, int, int], dt.date] = {}  # (subject, recipient) → the latest day
    for type_id, ids in subjects.items():
        ids = sorted(ids)
        for start in range(0, len(ids), CHUNK):
            rows = (
                Reminder.objects.filter(
                    among("subject_id", ids[start : start + CHUNK], Reminder),
                    subject_type_id=type_id,
                )
                .order_by()  # not the list's newest first: a sort of the rows found, for nothing
                .values_list(
                    "subject_type_id", "subject_id", "step", "recipient_id", "period", "day"
                )
            )
            for *key, day in rows:
                existing.add(tuple(key))
                whom = (key[0], key[1], key[3])
                heard[whom] = max(day, heard.get(whom, day))
    chosen: dict[tuple[int, int, int], Reminder] = {}
    for r in found:
        if (r.subject_type_id, r.subject_id, r.step, r.recipient_id, r.period) in existing:
            continue
        whom = (r.subject_type_id, r.subject_id, r.recipient_id)
        if whom in heard and heard[whom] >= r.period_began:
            continue  # told of it in this period already, at another step
        if whom not in chosen or RANK[r.step] > RANK[chosen[whom].step]:
            chosen[whom] = r
    return list(chosen.values())


#: What the scan sets of a reminder (``Found``'s fields, a ``Reminder``'s attributes); the
#: other columns take their defaults, the same for every row of a chunk.
COLUMNS = (
    "subject_type_id",
    "subject_id",
    "project_id",
    "step",
    "recipient_id",
    "period",
    "day",
    "title",
    "body",
    "link",
)


def insert_new(found: list[Found | Reminder]) -> Counter:
    """Insert ``found`` (in its order), skipping what the unique key already holds (another
    scan may have inserted it a moment ago: ``ON CONFLICT DO NOTHING``); how many went in, by
    step. On PostgreSQL one COPY into a temporary table and one INSERT … SELECT a chunk: the
    arrays of the former ``core.bulk.insert_new`` were quoted by psycopg in Python, 11 of 40 s of CPU at
    20,000 projects (issue 21, benchmarks/reminder_scan.py --projects)."""
    if not found:
        return Counter()
    values = attrgetter(*COLUMNS)
    now = timezone.now()
    defaults = {
        "status": Delivery.PENDING,
        "email_status": EmailState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
    quote = connection.ops.quote_name
    table = quote(Reminder._meta.db_table)
    names = ", ".join(quote(Reminder._meta.get_field(c).column) for c in COLUMNS)
    into = f"INSERT INTO {table} ({names}, {', '.join(quote(c) for c in defaults)})"
    made: Counter = Counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS reminder_found AS "
                f"SELECT 0 AS n, {names} FROM {table} WITH NO DATA"
            )
            cursor.execute("TRUNCATE reminder_found")
            # Binary, each column as the table's type says (its oids read off an empty select):
            # 484,289 rows took 0.6 s of Python and 0.7 of PostgreSQL's CPU instead of 1.2-1.6
            # and 1.0-1.1 as text (issue 21, benchmarks/README.md section 18).
            cursor.execute(f"SELECT n, {names} FROM reminder_found LIMIT 0")
            types = [column.type_code for column in cursor.description]
            with cursor.cursor.copy(
                f"COPY reminder_found (n, {names}) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(types)
                for n, r in enumerate(found):
                    copy.write_row((n, *values(r)))
            cursor.execute(
                f"{into} SELECT {names}, {', '.join(['%s'] * len(defaults))} "
                f"FROM reminder_found ORDER BY n ON CONFLICT DO NOTHING RETURNING step",
                list(defaults.values()),
            )
            made.update(step for (step,) in cursor.fetchall())
            cursor.execute("TRUNCATE reminder_found")
            return made
        # SQLite: rows of plain values a statement (16 columns: well under its 32,766).
        fixed = [
            connection.ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
            for v in defaults.values()
        ]
        row = f"({', '.join(['%s'] * (len(COLUMNS) + len(fixed)))})"
        for start in range(0, len(found), BATCH):
            chunk = found[start : start + BATCH]
            params = []
            for r in chunk:
                params.extend(values(r))
                params.extend(fixed)
            day = COLUMNS.index("day")
            for at in range(day, len(params), len(COLUMNS) + len(fixed)):
                params[at] = params[at].isoformat()
            cursor.execute(
                f"{into} VALUES {', '.join([row] * len(chunk))} "
                f"ON CONFLICT DO NOTHING RETURNING step",
                params,
            )
            made.update(step for (step,) in cursor.fetchall())
    return made


def record(found: Scan | Iterable[list[Found]]) -> Counter:
    """Insert the reminders not made before; the unique key drops any another scan or worker
    inserted meanwhile. Returns how many this call inserted, by step. ``found``: a whole scan,
    or its chunks as the scan gives them (``scan.chunks``), each recorded before the next is
    recorded: memory holds a few chunks, and a subject both late and at risk, whose at-risk
    chunk comes last, finds the higher step already recorded.

    Chunks on PostgreSQL, outside a transaction, are recorded on a second connection, in a
    thread, while this one reads the next (``_record_beside``); inside one (a test's, or a
    caller's) a second connection would not see its rows, so they are recorded here."""
    if isinstance(found, Scan):
        return _record_each([found.reminders])
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _record_beside(found)
    return _record_each(found)


def _record_each(chunks: Iterable[list[Found | Reminder]]) -> Counter:
    made: Counter = Counter()
    for chunk in chunks:
        made.update(insert_new(new_reminders(chunk)))
    return made


def _record_beside(chunks: Iterable[list[Found]]) -> Counter:
    """``_record_each`` in a thread of its own (so on a connection of its own), fed one chunk
    at a time as the scan reads them here: the database inserts one chunk while Python reads
    and climbs the ladder with the next. At 100,000 projects (484,213 reminders) the scan is
    about 10 s of Python and the recording about 20 s of PostgreSQL; one after the other they
    took 30.9 s (issue 21, benchmarks/reminder_scan.py --city, benchmarks/README.md section
    18). The chunks are recorded in the scan's order, one at a time, as ``_record_each`` does;
    at most two wait (memory). An error in either stops both and is raised here."""
    todo: queue.Queue = queue.Queue(maxsize=1)
    made: Counter = Counter()
    failed: list[BaseException] = []

    def recorder() -> None:
        try:
            while (chunk := todo.get()) is not None:
                if failed:
                    continue  # drained, so that the scan never waits on a full queue
                try:
                    made.update(_record_each([chunk]))
                except BaseException as error:  # raised in the scan's thread below
                    failed.append(error)
        finally:
            connection.close()  # this thread's own

    thread = threading.Thread(target=recorder, name="reminder-outbox", daemon=True)
    thread.start()
    try:
        for chunk in chunks:
            if failed:
                break
            todo.put(chunk)
    finally:
        todo.put(None)
        thread.join()
    if failed:
        raise failed[0]
    return made


def claim(pk: int, now: dt.datetime | None = None) -> bool:
    """Take one pending reminder for a while; False when another worker holds it."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(pk=pk)
        .due(now)
        .update(claimed_until=now + LEASE, attempts=F("attempts") + 1)
        == 1
    )


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8, … minutes, at most a day."""
    return min(dt.timedelta(minutes=2**attempts), dt.timedelta(days=1))


def wants_email(user) -> bool:
    """Whether the person takes reminders by e-mail (its choice, 我的提醒方式; yes when it has
    not chosen: no profile yet). Reads ``user.profile`` as loaded."""
    try:
        return user.profile.by_email
    except ObjectDoesNotExist:
        return True


def send(reminder: Reminder, now: dt.datetime | None = None, rules=None) -> bool:
    """Deliver a claimed reminder: into the inbox, then by email if it goes by email. True
    when it is done; False when its email failed and waits for another attempt."""
    now = now or timezone.now()
    rules = rules or warnings()
    done = {"delivered_at": reminder.delivered_at or now, "claimed_until": None}
    recipient = reminder.recipient
    email = reminder.email_status
    if email == EmailState.PENDING and not (
        rules.email and recipient.email and wants_email(recipient)
    ):
        email = EmailState.NONE
    if email == EmailState.PENDING:
        try:
            send_mail(
                reminder.title,
                f"{reminder.body}\n\n{settings.SITE_URL.rstrip('/')}{reminder.link}",
                None,
                [recipient.email],
            )
        except Exception as error:  # any backend's failure: SMTP, connection, configuration
            failed_for_good = reminder.attempts >= MAX_ATTEMPTS
            Reminder.objects.filter(pk=reminder.pk).update(
                **done,
                status=Delivery.FAILED if failed_for_good else Delivery.PENDING,
                email_status=EmailState.FAILED if failed_for_good else EmailState.PENDING,
                next_attempt_at=now + backoff(reminder.attempts),
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            return False
        email = EmailState.SENT
    Reminder.objects.filter(pk=reminder.pk).update(
        **done, status=Delivery.SENT, email_status=email, sent_at=now, last_error=""
    )
    return True


def deliver(now: dt.datetime | None = None) -> Counter:
    """Send every reminder due now, each claimed first. Returns how many were sent, by step."""
    now = now or timezone.now()
    rules = warnings()
    sent: Counter = Counter()
    seen: set[int] = set()
    while True:
        batch = list(
            Reminder.objects.due(now)
            .exclude(pk__in=seen)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:100]
        )
        if not batch:
            return sent
        seen.update(batch)
        for pk in batch:
            if not claim(pk, now):
                continue  # another worker has it
            reminder = Reminder.objects.select_related("recipient__profile").get(pk=pk)
            if send(reminder, now, rules):
                sent[reminder.step] += 1
