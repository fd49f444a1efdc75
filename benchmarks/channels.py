"""The channels' outbox at the scale of a province (issue 23, ``approvals/channels/delivery.py``).

20 zones, each with a 企业微信 group robot, a 钉钉 group robot (加签), a 企业微信 application and a
test-provider SMS channel, the robots and the application on the fake platforms
(``tests/channels/platform_servers.py``) run as a process of their own on 127.0.0.1. People per
zone: 25 officers, 2 supervisors and 5 leaders, each with a profile: a mobile number on every
other person, a 企业微信 user ID on every other pair (a quarter both, a quarter neither). One day's
reminders in the inbox, written with COPY (PostgreSQL) or multi-row INSERTs (SQLite), not by the
scan, in two sizes:

- an ordinary day: 1,000 a zone (20,000);
- the first day of a province's scan: 28,500 a zone (570,000, the figure of
  ``reminder_scan.py --city``).

A late subject (one milestone, item, node or problem of a zone's project) is told to its
officer (one in ten as a foreseen delay, to the officer alone), half of the late ones also to
the zone's two supervisors, one in five also to the project's leader (red): 2.1 reminders a
subject, 8.7 % of them a leader's.

Measured, each way in a process of its own (its peak resident memory its own, ``ru_maxrss``),
in interleaved rounds (median of ``--rounds``, 3 by default; which way goes first alternates):

- ``fan_out(now)`` with the outbox empty ("first") and again with nothing new ("again", what
  each minute's run costs), against its floor: (i) just reading the ids it would insert (the
  very query it builds, per channel); (ii) one hand-written ``INSERT … SELECT … ON CONFLICT DO
  NOTHING`` per channel from the same query, the database doing the same work without the
  rows coming to Python (the alternative proposed in the README, section 25);
- ``deliver(now)`` of the day, run again until nothing is due (the group's digests built and
  sent to the fake robots, the application's cards, the SMS through the test provider, which
  makes no HTTP call): runs, wall time, HTTP calls, rows marked sent, the most messages one group
  and one person received; against its floor, the same HTTP calls (the same method, address,
  query and body, recorded by the first) made with requests alone;
- on the first day, ``deliver`` again with ``CLAIM_LIMIT`` raised from 5,000 to 30,000 (more
  than a zone's day): how many runs a group needs, what it receives, and what the raise costs.

    .venv/bin/python benchmarks/channels.py [--rounds 3] [--quick]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4 .venv/bin/python benchmarks/channels.py
    ./desk bench --channels [--quick]

The database is a throw-away one (``projectdesk_channels_<name in the URL>`` on PostgreSQL, a
temporary file on SQLite), dropped at the end.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

ROOT = Path(__file__).resolve().parent.parent
ZONES = 20
OFFICERS, SUPERVISORS, LEADERS = 25, 2, 5
PROJECTS_PER_ZONE = 5_000
#: Reminders a zone on an ordinary day, and on the first day of a province's scan.
DAYS = {"ordinary day": 1_000, "first day": 28_500}
QUICK_DAYS = {"ordinary day": 40, "first day": 600}
#: ``CLAIM_LIMIT`` raised above a zone's first day.
RAISED_LIMIT = 30_000
KINDS = ("wecom_robot", "dingtalk_robot", "wecom_app", "sms")


# --- the fake platforms, a process of their own ----------------------------------------------


@contextmanager
def platforms(keys: dict) -> Iterator[str]:
    """The fake platforms (``python -m tests.channels.platform_servers``) with ``keys``
    registered; yields their base address and stops them afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="projectdesk-channels-"))
    (folder / "config.json").write_text(json.dumps(keys))
    port_file = folder / "port"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.channels.platform_servers",
            "--port-file",
            str(port_file),
            "--config",
            str(folder / "config.json"),
        ],
        cwd=ROOT,
    )
    try:
        for _ in range(200):
            if port_file.exists():
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port_file.read_text().strip()}"
    finally:
        process.terminate()
        process.wait(10)
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()


def keys_of(zone_ids: list[int]) -> dict:
    return {
        "wecom_keys": [f"bench-wk-{z}" for z in zone_ids],
        "wecom_corps": {f"ww-bench-{z}": f"app-secret-{z}" for z in zone_ids},
        "dingtalk_secret": {f"bench-dt-{z}": f"SECbench-{z}" for z in zone_ids},
    }


# --- the data ---------------------------------------------------------------------------------


@dataclass
class World:
    zones: list[int]
    #: per zone: its officers, supervisors and leaders (user ids)
    officers: dict[int, list[int]] = field(default_factory=dict)
    supervisors: dict[int, list[int]] = field(default_factory=dict)
    leaders: dict[int, list[int]] = field(default_factory=dict)
    projects: dict[int, list[int]] = field(default_factory=dict)


def build_world(base_url: str, projects_per_zone: int) -> World:
    """Zones, people with profiles, projects, and the four channels of each zone."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import Profile
    from approvals.models import Channel, ChannelKind, SmsProvider
    from benchmarks.common import insert_rows, make_people, project_rows, reset_sequences
    from benchmarks.reminder_scan import clear_projects

    people = make_people(zones=ZONES, enterprises=50, officers=1)
    clear_projects()
    world = World(zones=people.zones)
    user = get_user_model()
    made = []
    for zone in world.zones:
        for role, count in (
            ("officer", OFFICERS),
            ("supervisor", SUPERVISORS),
            ("leader", LEADERS),
        ):
            made += [user(username=f"ch-{role}-{zone}-{n}", is_staff=True) for n in range(count)]
    user.objects.bulk_create(made)
    by_name = dict(user.objects.filter(username__startswith="ch-").values_list("username", "pk"))
    profiles = []
    for n, (name, pk) in enumerate(sorted(by_name.items())):
        _, role, zone, _ = name.split("-")
        getattr(world, f"{role}s").setdefault(int(zone), []).append(pk)
        profiles.append(
            Profile(
                user_id=pk,
                mobile=f"139{n:08d}" if n % 2 == 0 else "",
                wecom_userid=f"wx.{n}" if n // 2 % 2 == 0 else "",
            )
        )
    Profile.objects.bulk_create(profiles)
    ids = range(1, ZONES * projects_per_zone + 1)
    fields, rows = project_rows(ids, ["signed"] * len(ids), people)
    from approvals.models import Project

    insert_rows(Project, fields, rows)
    reset_sequences(Project)
    for n, pk in enumerate(ids):
        world.projects.setdefault(world.zones[n % ZONES], []).append(pk)
    created = timezone.now() - timezone.timedelta(days=1)
    for zone in world.zones:
        common = {"zone_id": zone, "created_at": created}
        Channel.objects.create(
            name=f"企业微信群 {zone}",
            kind=ChannelKind.WECOM_ROBOT,
            webhook=f"{base_url}/cgi-bin/webhook/send?key=bench-wk-{zone}",
            **common,
        )
        Channel.objects.create(
            name=f"钉钉群 {zone}",
            kind=ChannelKind.DINGTALK_ROBOT,
            webhook=f"{base_url}/robot/send?access_token=bench-dt-{zone}",
            secret=f"SECbench-{zone}",
            **common,
        )
        Channel.objects.create(
            name=f"企业微信应用 {zone}",
            kind=ChannelKind.WECOM_APP,
            corp_id=f"ww-bench-{zone}",
            agent_id="1000002",
            secret=f"app-secret-{zone}",
            **common,
        )
        Channel.objects.create(
            name=f"短信 {zone}",
            kind=ChannelKind.SMS,
            sms_provider=SmsProvider.TEST,
            template_code="SMS_1",
            **common,
        )
    return world


def load_reminders(world: World, per_zone: int) -> Counter:
    """``per_zone`` reminders a zone, in the inbox since an hour ago; counts by step."""
    import random

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.utils import timezone, translation

    from approvals.models import Milestone, Reminder, Step
    from approvals.reminders.ladder import _Wording
    from benchmarks.common import analyze, delete_all, insert_rows, reset_sequences
    from benchmarks.reminder_scan import full_rows

    empty_outbox()
    delete_all(Reminder)
    rng = random.Random(23)
    now = timezone.now() - timezone.timedelta(hours=1)
    stamp = connection.ops.adapt_datetimefield_value(now) if connection.vendor == "sqlite" else now
    today = timezone.localdate()
    kind = ContentType.objects.get_for_model(Milestone).pk
    with translation.override("zh-hans"):
        titles = {step: _Wording().title(step, "\x00", "签约", 12) for step in Step.values}
    steps: Counter = Counter()

    def rows() -> Iterator[dict]:
        subject = 0
        for zone in world.zones:
            made = 0
            while made < per_zone:
                subject += 1
                # a project's officer and leader by its place in the zone (its id steps by 20)
                at = rng.randrange(len(world.projects[zone]))
                project = world.projects[zone][at]
                name = f"年产{project}万吨新材料项目"
                told = [(Step.OFFICER, world.officers[zone][at % OFFICERS])]
                if rng.random() < 0.1:
                    told = [(Step.AT_RISK, told[0][1])]
                else:
                    if rng.random() < 0.5:
                        told += [(Step.SUPERVISOR, pk) for pk in world.supervisors[zone]]
                    if rng.random() < 0.2:
                        told.append((Step.LEADER, world.leaders[zone][at % LEADERS]))
                for step, recipient in told[: per_zone - made]:
                    made += 1
                    steps[step] += 1
                    yield {
                        "id": sum(steps.values()),
                        "subject_type_id": kind,
                        "subject_id": subject,
                        "project_id": project,
                        "step": step,
                        "recipient_id": recipient,
                        "period": 0,
                        "day": today,
                        "title": titles[step].replace("\x00", name),
                        "body": f"{name}：签约计划日期已过 12 天。",
                        "link": f"/admin/approvals/project/{project}/change/",
                        "status": "sent",
                        "next_attempt_at": stamp,
                        "created_at": stamp,
                        "delivered_at": stamp,
                    }

    insert_rows(Reminder, *full_rows(Reminder, rows()))
    reset_sequences(Reminder)
    analyze(Reminder._meta.db_table)
    return steps


def empty_outbox() -> None:
    from django.db import connection

    from approvals.models import Dispatch

    table = Dispatch._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'TRUNCATE "{table}"')
        else:
            cursor.execute(f'DELETE FROM "{table}"')
    analyze_outbox()


def analyze_outbox() -> None:
    from approvals.models import Dispatch
    from benchmarks.common import analyze

    analyze(Dispatch._meta.db_table)


def outbox_pending_again() -> None:
    """Every row of the outbox due again, as ``fan_out`` left it (between two deliveries)."""
    from django.db import connection
    from django.utils import timezone

    from approvals.models import Dispatch

    Dispatch.objects.update(
        status="pending",
        attempts=0,
        claimed_until=None,
        sent_at=None,
        last_error="",
        next_attempt_at=timezone.now() - timezone.timedelta(minutes=1),
    )
    if connection.vendor == "postgresql":
        analyze_outbox()  # VACUUM: the UPDATE left a dead row for each


# --- the ways, each in a process of its own ----------------------------------------------------


def wanted(channel, now):
    """The query ``fan_out`` builds for ``channel`` (delivery.py, kept alike by
    tests/test_benchmarks_channels.py: the hand-written INSERT makes the same rows)."""
    from django.db.models import Exists, OuterRef

    from approvals.channels import delivery
    from approvals.models import Dispatch

    since = max(channel.created_at, now - delivery.WINDOW)
    return (
        delivery.carries(channel)
        .filter(delivered_at__isnull=False, created_at__gte=since)
        .exclude(Exists(Dispatch.objects.filter(channel=channel, reminder=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def read_ids(now) -> int:
    """Floor (i): the ids ``fan_out`` would insert, read and nothing written."""
    from approvals.models import Channel

    return sum(
        len(list(wanted(channel, now)))
        for channel in Channel.objects.filter(enabled=True).order_by("pk")
    )


def insert_select(now) -> int:
    """Floor (ii): per channel, one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` of the same
    query: the rows never reach Python."""
    from django.db import connection

    from approvals.models import Channel, Dispatch

    stamp = connection.ops.adapt_datetimefield_value(now)
    table = connection.ops.quote_name(Dispatch._meta.db_table)
    made = 0
    with connection.cursor() as cursor:
        for channel in Channel.objects.filter(enabled=True).order_by("pk"):
            sql, params = wanted(channel, now).query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} (channel_id, reminder_id, status, attempts, next_attempt_at, "
                f"last_error, created_at) SELECT %s, ids.*, 'pending', 0, %s, '', %s "
                f"FROM ({sql}) ids WHERE true ON CONFLICT DO NOTHING",
                [channel.pk, stamp, stamp, *params],
            )
            made += max(cursor.rowcount, 0)
    return made


@contextmanager
def calls_recorded(path: str | None, counts: Counter) -> Iterator[None]:
    """Every HTTP call the platform clients make (through ``requests.request``) counted, and
    written to ``path`` as a JSON line (what the floor replays)."""
    import requests

    real = requests.request
    out = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115 - closed below

    def recording(method, url, **kwargs):
        counts[method] += 1
        if out:
            call = {k: kwargs.get(k) for k in ("params", "json", "data", "headers")}
            out.write(json.dumps({"method": method, "url": url, **call}) + "\n")
        return real(method, url, **kwargs)

    requests.request = recording
    try:
        yield
    finally:
        requests.request = real
        if out:
            out.close()


def deliver_all(now, limit: int, calls_file: str | None) -> dict:
    """``deliver(now)`` again and again until nothing is due, as each minute's job would."""
    from django.db.models import Count

    from approvals.channels import delivery
    from approvals.channels.platforms.sms import TEST_OUTBOX
    from approvals.models import Dispatch

    delivery.CLAIM_LIMIT, before = limit, delivery.CLAIM_LIMIT
    TEST_OUTBOX.clear()
    counts: Counter = Counter()
    runs, per_run = 0, []
    try:
        with calls_recorded(calls_file, counts):
            while True:
                started = time.perf_counter()
                sent = delivery.deliver(now)
                if not sent:
                    break
                runs += 1
                per_run.append(round(time.perf_counter() - started, 2))
    finally:
        delivery.CLAIM_LIMIT = before
    group_messages: Counter = Counter()
    cards: Counter = Counter()
    if calls_file:
        with open(calls_file, encoding="utf-8") as f:
            for line in f:
                call = json.loads(line)
                if "/webhook/send" in call["url"] or "/robot/send" in call["url"]:
                    group_messages[call["url"]] += 1
                elif "/message/send" in call["url"]:
                    cards[call["json"]["touser"]] += 1
    sms = Counter(mobile for mobile, _, _ in TEST_OUTBOX)
    by_kind = dict(
        Dispatch.objects.filter(status="sent")
        .order_by()
        .values("channel__kind")
        .annotate(n=Count("id"))
        .values_list("channel__kind", "n")
    )
    return {
        "runs": runs,
        "per_run": per_run,
        "calls": sum(counts.values()),
        "posts": counts["POST"],
        "marked": sum(by_kind.values()),
        "marked_by_kind": dict(by_kind),
        "sms": len(TEST_OUTBOX),
        "sms_per_person": max(sms.values(), default=0),
        "group_messages": max(group_messages.values(), default=0),
        "cards_per_person": max(cards.values(), default=0),
    }


def replay(calls_file: str) -> dict:
    """Floor: the recorded calls again, with requests alone (a 钉钉 call signed again, as the
    client signs each: its signature is valid for an hour)."""
    import requests

    from tests.channels.platform_servers import dingtalk_expected_sign

    ok = calls = 0
    with open(calls_file, encoding="utf-8") as f:
        recorded = [json.loads(line) for line in f]
    started = time.perf_counter()
    for call in recorded:
        params = call["params"]
        if "access_token=bench-dt-" in call["url"]:  # 加签 again: a signature lasts an hour
            timestamp = str(int(time.time() * 1000))
            secret = "SECbench-" + call["url"].rsplit("bench-dt-", 1)[1]
            params = {"timestamp": timestamp, "sign": dingtalk_expected_sign(secret, timestamp)}
        response = requests.request(
            call["method"],
            call["url"],
            params=params,
            json=call["json"],
            data=call["data"],
            headers=call["headers"],
            timeout=10,
        )
        calls += 1
        ok += response.status_code == 200 and response.json().get("errcode") == 0
    return {"seconds": time.perf_counter() - started, "calls": calls, "ok": ok}


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    return kb / 1024


def measure(way: str, spec: dict) -> dict:
    """One way, timed in this process: its result with seconds and memory."""
    if way == "deliver-floor":
        at_start = rss_mb()
        result = replay(spec["calls_file"])
        return {**result, "rss_at_start_mb": at_start, **peak()}
    from django.db import connection
    from django.utils import timezone

    from approvals.channels import delivery

    connection.ensure_connection()
    now = timezone.now()
    at_start = rss_mb()
    started = time.perf_counter()
    if way == "fanout-ours":
        result = {"rows": sum(delivery.fan_out(now).values())}
    elif way == "fanout-read":
        result = {"rows": read_ids(now)}
    elif way == "fanout-sql":
        result = {"rows": insert_select(now)}
    elif way == "deliver-ours":
        result = deliver_all(now, spec["limit"], spec.get("calls_file"))
    else:
        raise ValueError(way)
    return {
        **result,
        "seconds": time.perf_counter() - started,
        "rss_at_start_mb": at_start,
        **peak(),
    }


def peak() -> dict:
    """The process's peak resident memory: VmHWM, its own since its exec (Linux carries
    ``ru_maxrss`` over an exec, so a child started by a big parent would report the parent's)."""
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    return {"peak_mb": kb / 1024}


#: False in the smoke test: each way runs in the test's own process, on its database.
CHILDREN = True


def run_way(way: str, spec: dict) -> dict:
    if not CHILDREN:
        return measure(way, spec)
    output = subprocess.run(
        [sys.executable, __file__, "--child", way, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if output.returncode:
        raise RuntimeError(f"{way}: {output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


# --- the parent: rounds and tables -------------------------------------------------------------


FANOUT_WAYS = {
    "fanout-ours": "fan_out()",
    "fanout-sql": "floor (ii): INSERT … SELECT … ON CONFLICT DO NOTHING per channel",
    "fanout-read": "floor (i): reading the ids (the same SELECT)",
}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure_day(label: str, per_zone: int, rounds: int, world: World, log: Callable) -> dict:
    from django.utils import timezone

    steps = load_reminders(world, per_zone)
    log(f"» {label}: {sum(steps.values()):,} reminders loaded ({load()})")
    results: dict[str, list[dict]] = {}
    loads: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="projectdesk-channels-calls-"))
    calls_file = str(folder / "calls.jsonl")
    limits = [5000, RAISED_LIMIT] if label == "first day" else [5000]

    def keep(name: str, result: dict) -> None:
        results.setdefault(name, []).append(result)
        log(f"  {name}: {result.get('seconds', 0):.2f} s ({load()})")

    try:
        for n in range(rounds):
            loads.append(load())
            order = list(FANOUT_WAYS)
            if n % 2:
                order.reverse()
            for way in order:
                empty_outbox()
                keep(way, run_way(way, {}))
                if way != "fanout-read":
                    analyze_outbox()
                    keep(f"{way} again", run_way(way, {}))
            # the outbox full, as fan_out makes it: the deliveries
            empty_outbox()
            insert_select(timezone.now())
            deliveries = [("deliver-ours", limit) for limit in limits] + [("deliver-floor", 0)]
            if n % 2:
                deliveries.reverse()
            if not Path(calls_file).exists():  # the floor replays what ours sent: ours first
                deliveries.sort(key=lambda d: d[0] == "deliver-floor")
            for way, limit in deliveries:
                outbox_pending_again()
                spec = {"limit": limit, "calls_file": calls_file}
                if way == "deliver-ours" and limit != 5000:
                    spec["calls_file"] = str(folder / f"calls-{limit}.jsonl")
                keep(f"{way} {limit}" if limit else way, run_way(way, spec))
    finally:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return {
        "label": label,
        "per_zone": per_zone,
        "steps": steps,
        "results": results,
        "loads": loads,
    }


def median(results: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in results)


def rounds_s(results: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in results)


def report(days: list[dict], rounds: int, vendor: str) -> str:
    from benchmarks.common import table

    out = []
    out.append(
        table(
            f"25a. The day's reminders ({ZONES} zones; {OFFICERS + SUPERVISORS + LEADERS} people a "
            "zone, a mobile number on every other, a WeCom user ID on every other pair)",
            ["day", "a zone", "reminders", "officer", "supervisor", "leader", "at risk"],
            [
                (
                    d["label"],
                    d["per_zone"],
                    sum(d["steps"].values()),
                    d["steps"]["officer"],
                    d["steps"]["supervisor"],
                    d["steps"]["leader"],
                    d["steps"]["at_risk"],
                )
                for d in days
            ],
        )
    )
    rows = []
    for d in days:
        res = d["results"]
        floor = median(res["fanout-read"], "seconds")
        for way, name in [
            ("fanout-ours", "fan_out(), first"),
            ("fanout-sql", "(ii) INSERT … SELECT, first"),
            ("fanout-read", "(i) reading the ids"),
            ("fanout-ours again", "fan_out(), again (nothing new)"),
            ("fanout-sql again", "(ii) INSERT … SELECT, again"),
        ]:
            rs = res[way]
            seconds = median(rs, "seconds")
            rows_made = rs[0]["rows"]
            rows.append(
                (
                    d["label"],
                    name,
                    rows_made,
                    seconds,
                    f"{rows_made / seconds:,.0f}" if rows_made else "—",
                    f"{seconds / floor:.1f}×" if floor else "—",
                    median(rs, "peak_mb"),
                    median(rs, "rss_at_start_mb"),
                    rounds_s(rs),
                )
            )
    out.append(
        table(
            f"25b. fan_out() against its floor ({vendor}; median of {rounds}, each in a process "
            "of its own; rows: made, or read for (i))",
            ["day", "way", "rows", "s", "rows/s", "× (i)", "peak MB", "MB at start", "rounds s"],
            rows,
        )
    )
    rows = []
    for d in days:
        res = d["results"]
        for way in [k for k in res if k.startswith("deliver")]:
            rs = res[way]
            r = rs[0]
            if way == "deliver-floor":
                rows.append(
                    (
                        d["label"],
                        "floor: the same calls, requests alone",
                        "—",
                        "—",
                        median(rs, "seconds"),
                        r["calls"],
                        f"{r['ok']:,} ok",
                        "—",
                        "—",
                        "—",
                        median(rs, "peak_mb"),
                        rounds_s(rs),
                    )
                )
                continue
            limit = int(way.rsplit(" ", 1)[1])
            rows.append(
                (
                    d["label"],
                    "deliver() until nothing is due",
                    limit,
                    f"{r['runs']} ({', '.join(f'{s:.1f}' for s in r['per_run'])} s)",
                    median(rs, "seconds"),
                    r["calls"],
                    r["marked"],
                    r["sms"],
                    r["group_messages"],
                    f"{r['cards_per_person']} / {r['sms_per_person']}",
                    median(rs, "peak_mb"),
                    rounds_s(rs),
                )
            )
    out.append(
        table(
            f"25c. deliver() of the day against the same HTTP calls made with requests alone "
            f"({vendor}; median of {rounds}, each in a process of its own; SMS by the test "
            "provider, no HTTP)",
            [
                "day",
                "way",
                "CLAIM_LIMIT",
                "runs (first round's s each)",
                "s",
                "HTTP calls",
                "rows marked sent",
                "SMS",
                "messages to a group (most)",
                "cards / SMS to a person (most)",
                "peak MB",
                "rounds s",
            ],
            rows,
        )
    )
    marked = []
    for d in days:
        for way, rs in d["results"].items():
            if way.startswith("deliver-ours"):
                marked.append(
                    (
                        d["label"],
                        way.rsplit(" ", 1)[1],
                        *(rs[0]["marked_by_kind"].get(k, 0) for k in KINDS),
                    )
                )
    out.append(
        table("25d. Rows marked sent, by kind of channel", ["day", "CLAIM_LIMIT", *KINDS], marked)
    )
    out.append(
        table(
            "25e. Load average (1, 5, 15 min) at the start of each round",
            ["day", *(f"round {n + 1}" for n in range(rounds))],
            [(d["label"], *d["loads"]) for d in days],
        )
    )
    return "\n".join(out)


def run(
    days: dict[str, int],
    rounds: int,
    *,
    projects_per_zone: int = PROJECTS_PER_ZONE,
    log: Callable = print,
) -> str:
    from django.db import connection
    from django.test import override_settings

    from tests.channels.platform_servers import PlatformsClient

    with platforms({}) as base_url, override_settings(WECOM_API_BASE=base_url):
        os.environ["WECOM_API_BASE"] = base_url  # the children's settings read it
        world = build_world(base_url, projects_per_zone)
        PlatformsClient(base_url).control("register", **keys_of(world.zones))
        measured = [
            measure_day(label, per_zone, rounds, world, log) for label, per_zone in days.items()
        ]
    return report(measured, rounds, connection.vendor)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--days",
        nargs="+",
        choices=["ordinary", "first"],
        default=["ordinary", "first"],
        help="which days to measure (the first day's deliveries are long on SQLite)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a tiny run: 40 and 600 reminders a zone, one round"
    )
    args = parser.parse_args()
    from benchmarks.databases import measured_run

    named = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
    suffix = f"_{named}" if named.isidentifier() else ""
    with measured_run(f"projectdesk_channels{suffix}", load_at_end=True):
        if args.quick:
            print(run(QUICK_DAYS, 1, projects_per_zone=50), flush=True)
        else:
            days = {k: v for k, v in DAYS.items() if k.split()[0] in args.days}
            print(run(days, args.rounds), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
        if sys.argv[2] != "deliver-floor":
            import django

            django.setup()
        print(json.dumps(measure(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        main()
