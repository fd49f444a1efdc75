"""Listing 100,000 projects through the API page by page, beside the admin's list (issue 22).

On ``pages.py``'s data (100,000 projects in 20 zones, 5,000 each; ``--database pages100k``, its
build copied into ``api_run`` and migrated with this code, dropped at the end) two client
systems are made as the system administrator makes them, each with a token: the province's
(every zone, 100,000 projects) and the first zone's (5,000). Beside each, the person who reads
the same projects in the admin: a statistician of every zone, the zone's supervisor.

- ``GET /api/v1/projects/`` (cursor pages by id, 100 a page and ``?page_size=500``) and
  ``GET /admin/approvals/project/?p=N`` (50 a page, newest first): pages 1, 2, 10, 100 and the
  last, each reached as its reader reaches it (the API's by walking the ``next`` links from the
  first page, the admin's by ``?p=``). A warm-up visit, one visit with its queries captured
  (count, their summed time "SQL ms", the body's kB raw and gzipped), then the median of N
  interleaved rounds, API and admin pages alternating and the order reversed every other round.
- The whole listing: every page of each API listing walked once through its ``next`` links
  (1,000 pages of 100 for the province), and every page of the zone's admin list, with the
  time of each page (median, 95th percentile, the slowest) and the queries of each (the fewest
  and the most: the same if a page's cost does not grow with its depth).
- The plan of the list's query (``EXPLAIN ANALYZE``) on the first and the last page of each.

Nothing is asserted here (tests/test_benchmarks_api.py checks the tiny variant). Each API call
is the whole of it: token check, rate count (Redis with REDIS_URL, else files), the scope, the
page, the audit row.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test DATABASE_STATEMENT_TIMEOUT=0 \\
        .venv/bin/python benchmarks/api.py --database pages100k [--rounds 7]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python benchmarks/api.py --quick
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere

from benchmarks import pages  # noqa: E402 - after the path

#: The throw-away copy a run measures on (not pages.py's, so that both may run at once).
RUN_DATABASE = "api_run"
PAGE_SIZE = 100  # the API's default
BIG_PAGE_SIZE = 500  # the API's most
#: The pages measured one by one, and the last of each listing.
WANTED = (1, 2, 10, 100)
API_LIST = "/api/v1/projects/"
ADMIN_LIST = "/admin/approvals/project/"
#: Calls per minute of the benchmark's clients: a walk of 1,000 pages is no client's usual pace.
RATE = 1_000_000


# --- who reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """One way of reading a scope's projects: ``key`` names its client in ``Server``."""

    scope: str  # "province" or "zone"
    side: str  # "API" or "admin"
    who: str
    key: str
    page_size: int


def make_client(name: str, *, by, zones=(), province: bool = False):
    """A read-only client system as the admin's form makes it (``api.admin``): its account,
    its zones, the account's platform roles."""
    from api import clients
    from api.models import Access, Client

    client = Client(
        name=name, access=Access.READ, whole_province=province, created_by=by, rate_per_minute=RATE
    )
    client.account = clients.new_account(name)
    client.save()
    client.zones.set(zones)
    clients.sync_roles(client)
    return client


def readers(page_size: int = PAGE_SIZE, big_page_size: int = BIG_PAGE_SIZE) -> list[Reader]:
    """The two client systems with a token each (issued by the system administrator), and
    their people in the admin."""
    from django.contrib.auth import get_user_model

    from api import tokens
    from zones.models import Zone

    who = pages.people()
    user = get_user_model()
    sysadmin = user.objects.get(username=who["system admin"])
    zone = Zone.objects.order_by("pk").first()
    province = make_client("全省项目平台（基准）", by=sysadmin, province=True)
    own = make_client(f"{zone.name}平台（基准）", by=sysadmin, zones=[zone])
    province_token = tokens.issue_for_client(province, by=sysadmin).text
    zone_token = tokens.issue_for_client(own, by=sysadmin).text
    per_admin_page = admin_page_size()
    found = []
    for scope, token, person, role in (
        ("province", province_token, who["statistician"], "statistician of every zone"),
        ("zone", zone_token, who["supervisor"], f"supervisor of {zone.name}"),
    ):
        found.append(Reader(scope, "API", f"{scope} token", f"token:{token}", page_size))
        found.append(Reader(scope, "admin", role, f"user:{person}", per_admin_page))
        found.append(Reader(scope, "API", f"{scope} token", f"token:{token}", big_page_size))
    return found


def admin_page_size() -> int:
    from django.contrib import admin

    from approvals.models import Project

    return admin.site._registry[Project].list_per_page


def scope_count(reader: Reader, server: Server) -> int:
    """The projects ``reader`` sees (as the API and the admin scope them)."""
    from approvals.access import permissions
    from approvals.models import Project

    return permissions.scope(Project.objects.all(), server.account(reader.key)).count()


# --- serving ------------------------------------------------------------------------------------


class Server:
    """Pages served in this process through ``django.test.Client``: a token's calls with its
    ``Authorization`` header, a person's pages logged in (``force_login``)."""

    def __init__(self, keys: list[str]) -> None:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from api.models import Token

        self.clients: dict[str, Any] = {}
        self.accounts: dict[str, Any] = {}
        for key in dict.fromkeys(keys):
            kind, _sep, value = key.partition(":")
            headers: dict[str, str] = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
            if kind == "token":
                headers["HTTP_AUTHORIZATION"] = f"Bearer {value}"
                prefix = value.removeprefix("pd_").partition("_")[0]
                self.accounts[key] = Token.objects.select_related("user").get(prefix=prefix).user
            else:
                self.accounts[key] = get_user_model().objects.get(username=value)
            self.clients[key] = Client(**headers)
            if kind == "user":
                self.clients[key].force_login(self.accounts[key])

    def account(self, key: str):
        return self.accounts[key]

    def get(self, key: str, url: str):
        response = self.clients[key].get(url)
        if response.streaming:
            response.content = b"".join(response.streaming_content)
        return response


def body(response) -> bytes:
    content = response.content
    return gzip.decompress(content) if response.get("Content-Encoding") == "gzip" else content


def next_path(response) -> str | None:
    """The path and query of an API page's ``next`` link."""
    link = json.loads(body(response))["next"]
    if not link:
        return None
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


class QueryCounter:
    """Counts the statements sent (an ``execute_wrapper``: no SQL kept, nearly free)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


@dataclass
class Walk:
    reader: Reader
    urls: list[str] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    rows: int = 0
    load: tuple[float, ...] = ()


def walk(server: Server, reader: Reader, last: int | None = None) -> Walk:
    """Every page of ``reader``'s listing, as its reader goes through it: the API's by its
    ``next`` links, the admin's by ``?p=`` up to ``last``."""
    from django.db import connection

    done = Walk(reader)
    url: str | None = first_url(reader)
    number = 1
    while url:
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            response = server.get(reader.key, url)
            done.ms.append((time.perf_counter() - start) * 1000)
        done.urls.append(url)
        done.queries.append(counter.n)
        done.statuses.add(response.status_code)
        if reader.side == "API":
            done.rows += len(json.loads(body(response))["results"])
            url = next_path(response)
        else:
            number += 1
            url = f"{ADMIN_LIST}?p={number}" if last and number <= last else None
    done.load = os.getloadavg()
    return done


def first_url(reader: Reader) -> str:
    if reader.side == "admin":
        return ADMIN_LIST
    if reader.page_size == PAGE_SIZE:
        return API_LIST
    return f"{API_LIST}?page_size={reader.page_size}"


def page_url(reader: Reader, number: int, walked: Walk | None) -> str:
    if reader.side == "admin":
        return ADMIN_LIST if number == 1 else f"{ADMIN_LIST}?p={number}"
    return walked.urls[number - 1]


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Page:
    reader: Reader
    number: int
    last: int
    url: str
    captured: dict[str, Any] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "last" if self.number == self.last else str(self.number)


def chosen_pages(reader: Reader, last: int, walked: Walk | None) -> list[Page]:
    numbers = [n for n in WANTED if n < last] + [last]
    return [Page(reader, n, last, page_url(reader, n, walked)) for n in numbers]


def capture(server: Server, page: Page) -> None:
    """One visit with its queries captured (after the warm-up): status, queries, their
    summed time, the body's size raw and gzipped, and the SQL of the list's query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = server.get(page.reader.key, page.url)
    raw = body(response)
    sent = response.get("Content-Encoding") == "gzip"
    listed = [  # the page's rows (a one-page admin list reads them in its count)
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "approvals_project"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    listed.sort(key=lambda sql: sql.startswith('SELECT "approvals_project"."id"'))
    page.captured = {
        "status": response.status_code,
        "queries": len(captured),
        "sql_ms": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        "kB": len(raw) / 1024,
        "gz_kB": (len(response.content) if sent else len(gzip.compress(raw, 6))) / 1024,
        "sent": sent,
        "list_sql": listed[-1] if listed else "",
    }


def plan(sql: str) -> str:
    """The plan of the list's query on one line (PostgreSQL: EXPLAIN ANALYZE, and the server's
    execution time)."""
    from django.db import connection

    if not sql:
        return "—"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            return "; ".join(row[3] for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
        lines = [row[0].strip().removeprefix("->").strip() for row in cursor.fetchall()]
    noise = ("Planning Time", "Sort Method", "Buffers", "Planning:")
    return "; ".join(line for line in lines if not line.startswith(noise))


def measure(
    rounds: int,
    *,
    page_size: int = PAGE_SIZE,
    big_page_size: int = BIG_PAGE_SIZE,
    log=print,
) -> dict[str, Any]:
    """Tokens and people, the walks, the chosen pages captured and timed in interleaved rounds,
    the plans; everything ``report`` prints."""
    load_start = os.getloadavg()
    found = readers(page_size, big_page_size)
    server = Server([r.key for r in found])
    counts = {r.scope: scope_count(r, server) for r in found if r.side == "API"}
    for r in found:  # a warm-up visit of each listing
        server.get(r.key, first_url(r))

    walks: list[Walk] = []
    chosen: list[Page] = []
    for r in found:
        last = max(1, math.ceil(counts[r.scope] / r.page_size))
        walked = None
        if r.side == "API" or r.scope == "zone":  # the province's 2,000 admin pages: not walked
            log(f"  walking {r.side} {r.who}, {r.page_size} a page", flush=True)
            walked = walk(server, r, last)
            walks.append(walked)
            last = len(walked.urls)
        chosen += chosen_pages(r, last, walked)

    for page in chosen:  # a warm-up visit, then the captured one
        server.get(page.reader.key, page.url)
        capture(server, page)
    # API and admin pages alternate, so that load from elsewhere slows both alike.
    api_pages = [p for p in chosen if p.reader.side == "API"]
    admin_pages = [p for p in chosen if p.reader.side == "admin"]
    order = []
    for n in range(max(len(api_pages), len(admin_pages))):
        order += api_pages[n : n + 1] + admin_pages[n : n + 1]
    log(f"  {rounds} rounds of {len(order)} pages", flush=True)
    for n in range(rounds):
        for page in order if n % 2 == 0 else reversed(order):
            start = time.perf_counter()
            server.get(page.reader.key, page.url)
            page.times.append((time.perf_counter() - start) * 1000)
    load_end = os.getloadavg()

    plans = []
    for r in found:
        mine = [p for p in chosen if p.reader == r]
        for page in (mine[0], mine[-1]):
            plans.append((page, plan(page.captured["list_sql"])))
    return {
        "counts": counts,
        "pages": chosen,
        "walks": walks,
        "plans": plans,
        "rounds": rounds,
        "load_start": load_start,
        "load_end": load_end,
    }


# --- the tables ---------------------------------------------------------------------------------


def _load(values) -> str:
    return " ".join(f"{x:.2f}" for x in values)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def report(measured: dict[str, Any], data: str) -> str:
    from benchmarks.common import table

    counts = measured["counts"]
    pages_ = measured["pages"]
    rounds = measured["rounds"]

    def cells(page: Page | None) -> list:
        if page is None:
            return ["—"] * 6
        c = page.captured
        status = "" if c["status"] == 200 else f" ({c['status']})"
        return [
            page.number,
            f"{statistics.median(page.times):.0f}{status}",
            c["queries"],
            f"{c['sql_ms']:.0f}",
            f"{c['kB']:.0f}",
            f"{c['gz_kB']:.0f}" + (" sent" if c["sent"] else ""),
        ]

    side_by_side = []
    alone = []
    sizes = sorted({p.reader.page_size for p in pages_ if p.reader.side == "API"})
    for scope in ("province", "zone"):
        api_small = [
            p for p in pages_ if p.reader.scope == scope and p.reader.page_size == sizes[0]
        ]
        api_small = [p for p in api_small if p.reader.side == "API"]
        admin = [p for p in pages_ if p.reader.scope == scope and p.reader.side == "admin"]
        labels = list(dict.fromkeys([p.label for p in api_small] + [p.label for p in admin]))
        labels.sort(key=lambda x: (x == "last", int(x) if x != "last" else 0))
        for label in labels:
            a = next((p for p in api_small if p.label == label), None)
            b = next((p for p in admin if p.label == label), None)
            ratio = (
                f"{statistics.median(b.times) / statistics.median(a.times):.1f}x"
                if a and b
                else "—"
            )
            side_by_side.append(
                [f"{scope} ({counts[scope]:,})", label, *cells(a), *cells(b), ratio]
            )
        for p in pages_:
            if (
                p.reader.scope == scope
                and p.reader.side == "API"
                and p.reader.page_size != sizes[0]
            ):
                alone.append(
                    [f"{scope} ({counts[scope]:,})", p.reader.page_size, p.label, *cells(p)]
                )

    readers_ = list(dict.fromkeys(p.reader for p in pages_))
    who = "; ".join(
        f"{r.scope}: API {r.who}, admin {a.who}"
        for r in readers_
        if r.side == "API" and r.page_size == sizes[0]
        for a in readers_
        if a.side == "admin" and a.scope == r.scope
    )
    head = ["page", "API #", "ms", "queries", "SQL ms", "kB", "kB gz"]
    out = [
        table(
            f"Page by page on {data}: API {sizes[0]} a page beside the admin's "
            f"{next(r.page_size for r in readers_ if r.side == 'admin')} a page ({who}; median of "
            f"{rounds} interleaved rounds after a warm-up; queries, SQL ms and kB of one captured "
            "visit; kB gz: gzipped by us unless 'sent')",
            [
                "scope (projects)",
                *head[:1],
                *head[1:],
                "admin p",
                "ms",
                "queries",
                "SQL ms",
                "kB",
                "kB gz",
                "admin/API",
            ],
            side_by_side,
        )
    ]
    if alone:
        out.append(
            table(
                "The API at its largest page (the same rounds)",
                [
                    "scope (projects)",
                    "page size",
                    "page",
                    "#",
                    "ms",
                    "queries",
                    "SQL ms",
                    "kB",
                    "kB gz",
                ],
                alone,
            )
        )

    walked = []
    for w in measured["walks"]:
        r = w.reader
        walked.append(
            [
                f"{r.side}, {r.who}",
                r.page_size,
                len(w.urls),
                f"{w.rows:,}" if r.side == "API" else "—",
                f"{sum(w.ms) / 1000:.1f}",
                f"{statistics.median(w.ms):.0f}",
                f"{percentile(w.ms, 0.95):.0f}",
                f"{max(w.ms):.0f}",
                f"{min(w.queries)}–{max(w.queries)}"
                if min(w.queries) != max(w.queries)
                else min(w.queries),
                ", ".join(str(s) for s in sorted(w.statuses)),
                _load(w.load),
            ]
        )
    out.append(
        table(
            "The whole listing, every page once through its next links (the admin's by ?p=); "
            "statements a page: the fewest and the most, BEGIN and COMMIT not counted",
            [
                "listing",
                "a page",
                "pages",
                "rows",
                "s",
                "ms median",
                "p95",
                "max",
                "statements a page",
                "status",
                "load after",
            ],
            walked,
        )
    )
    out.append("\nPlans of the list's query (first and last page):\n")
    for page, text in measured["plans"]:
        r = page.reader
        out.append(f"- {r.side}, {r.who}, {r.page_size} a page, page {page.number}: `{text}`")
    out.append(
        f"\nLoad average at start {_load(measured['load_start'])}, "
        f"at end {_load(measured['load_end'])}."
    )
    return "\n".join(out)


# --- the run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> str:
    """Copy (``--database``) or build the data into ``RUN_DATABASE``, migrate it with this code,
    measure, drop it."""
    sizes = pages.TINY if args.tiny else pages.QUICK
    pages.maintenance(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)")
    started = time.perf_counter()
    if args.database:
        pages.maintenance(f"CREATE DATABASE {RUN_DATABASE} TEMPLATE {args.database}")
        pages.migrate_apart(RUN_DATABASE)
        pages.start_django(RUN_DATABASE)
        data = f"{args.database} (copied, migrated with this code)"
    else:
        pages.maintenance(f"CREATE DATABASE {RUN_DATABASE}")
        pages.start_django(RUN_DATABASE, building=True)
        pages.migrate()
        pages.build(sizes)
        data = f"a fresh build of {sizes[0]:,} projects"
    from benchmarks.common import cpu_times, machine, steal_since, table

    out = [table("Machine", ["", ""], machine())]
    out.append(f"\nData ready in {time.perf_counter() - started:.0f} s.")
    cpu_at_start = cpu_times()
    try:
        measured = measure(args.rounds)
        out.append(report(measured, data))
    finally:
        pages.close_all()
        pages.maintenance(f"DROP DATABASE IF EXISTS {RUN_DATABASE} WITH (FORCE)")
    out.append(f"\nCPU steal during the run: {steal_since(cpu_at_start)}")
    out.append(f"Runtime: {time.perf_counter() - started:.0f} s")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", help="the built database to copy and measure on")
    parser.add_argument("--quick", action="store_true", help="a fresh 10,000 (no --database)")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default 7)")
    args = parser.parse_args()
    if not (args.database or args.quick or args.tiny):
        parser.error("--database NAME (pages.py's build), or --quick")
    print(run(args), flush=True)


if __name__ == "__main__":
    main()
