"""The project list's export (``approvals/spreadsheets/export_jobs.py``) at city scale: 5,000
projects in the request (one zone's list, as an officer of the zone asks for it) and 100,000 in
the worker, each variant in a subprocess of its own so that its peak memory (``ru_maxrss`` of
that process, from ``os.wait4``) is its own:

- ``ours``: the ids read once as the list reads them, rows read a chunk of ids at a time and
  written straight into the file (``writing.xlsx``: XlsxWriter's constant-memory mode; or .csv);
- ``openpyxl``: the same rows written by the writer ``ours`` had before XlsxWriter (openpyxl's
  write-only workbook with lxml, ``openpyxl_xlsx`` below), to compare the writers in one run;
- ``old``: django-import-export's path as it stood before issue 21: the resource's dataset
  (``ProjectExportResource().export``), then ``SafeXLSX``; in the request over the list's
  queryset (django-import-export reads a queryset with prefetches in OFFSET pages), in the
  worker over the projects read by chunks of ids (``in_order``);
- ``floor``: the same columns read with one ``values_list`` (no model instances, no colours)
  and written with openpyxl's write-only workbook alone: what writing the rows costs at least
  with openpyxl; ``floor-xlsxwriter`` the same with XlsxWriter's ``write_row``;
- ``three-lists`` (in the request only): the zone's 三清单 of last month, the page's .xlsx
  download, through the test client as the statistician of ``benchmarks/pages.py`` (its
  queries and the login's counted with it).

It reads the projects already in the database (a copy of the 100,000-project data set of
issue 21, ``pages100k``, migrated with this branch) and writes nothing to it:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6_big .venv/bin/python benchmarks/export_bench.py [--rounds 3]

Times are medians of interleaved rounds (every variant once per round); the load average is
printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

HERE = Path(__file__).resolve()
VARIANTS = {
    "request": ["ours", "openpyxl", "ours-csv", "old", "floor", "floor-xlsxwriter", "three-lists"],
    "worker": ["ours", "openpyxl", "ours-csv", "old", "floor", "floor-xlsxwriter"],
}


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()


def scoped_queryset(zone_id: int | None):
    """The export page's queryset: the admin's list as a superuser sees it, filtered by zone
    (``zone_id``) or not; ordered as the list."""
    from django.contrib.admin.sites import site
    from django.contrib.auth import get_user_model
    from django.test import RequestFactory

    from approvals.models import Project

    user = get_user_model().objects.filter(is_superuser=True, is_active=True).first()
    query = {"zone__id__exact": str(zone_id)} if zone_id else {}
    request = RequestFactory().get("/admin/approvals/project/export/", query)
    request.user = user
    return site._registry[Project].get_export_queryset(request)


def openpyxl_xlsx(tables, out) -> None:
    """``writing.xlsx`` as it was before XlsxWriter (main 6558822): openpyxl's write-only
    workbook (with lxml), a cell object only where a value needs more than its value."""
    import datetime as dt
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from approvals.spreadsheets.writing import risky

    ooxml_escape = re.compile(r"_x(?=[0-9A-Fa-f]{4}_)")

    def cell_value(value):
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, str):
            value = ooxml_escape.sub("_x005F_x", value).replace("\r", "_x000D_")
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return value

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    fills: dict[str, PatternFill] = {}
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.freeze_panes = "A2"
        for index, width in (table.widths or {}).items():
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        header = []
        for text in table.headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row_index, row in enumerate(table.rows):
            cells = []
            for column, value in enumerate(row):
                colour = table.fill(row_index, column, value) if table.fill else None
                quoted = risky(value)
                value = cell_value(value)
                plain = not colour and not isinstance(value, dt.date)
                if isinstance(value, str):
                    plain = plain and not (quoted or value[:1] == "=" or value in ERROR_CODES)
                if plain:
                    cells.append(value)
                    continue
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
                    if quoted:
                        cell.quotePrefix = True
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
                if colour:
                    fills.setdefault(
                        colour, PatternFill("solid", start_color=colour, end_color=colour)
                    )
                    cell.fill = fills[colour]
                cells.append(cell)
            sheet.append(cells)
    book.save(out)


def floor_xlsx(queryset, out, writer: str = "openpyxl") -> int:
    """The same columns, read plainly and written with openpyxl (or XlsxWriter) alone."""
    from approvals.spreadsheets.exports import ProjectExportResource

    columns = (
        "code",
        "name",
        "enterprise__name",
        "zone__name",
        "industry",
        "stage",
        "next_milestone_on",
        "next_milestone_on",
        "colour_date",
        "total_investment",
        "expected_annual_output",
        "land_area_mu",
        "content",
        "officer__first_name",
        "leader__first_name",
        "responsible_unit",
        "progress",
        "notes",
        "stage",
    )
    rows = queryset.values_list(*columns).iterator(chunk_size=2000)
    headers = ProjectExportResource().get_export_headers()
    count = 0
    if writer == "xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(out, {"constant_memory": True})
        sheet = book.add_worksheet("项目清单")
        sheet.write_row(0, 0, headers)
        for count, row in enumerate(rows, 1):
            sheet.write_row(count, 0, [float(v) if hasattr(v, "as_tuple") else v for v in row])
        book.close()
        return count
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目清单")
    sheet.append(headers)
    for row in rows:
        sheet.append([float(v) if hasattr(v, "as_tuple") else v for v in row])
        count += 1
    book.save(out)
    return count


def child(where: str, variant: str, zone_id: int | None) -> dict:
    """One export, timed in this process; what it measured as JSON."""
    setup()
    from django.db import connection

    from approvals.spreadsheets import export_jobs, exports

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    out = tempfile.NamedTemporaryFile(suffix=".out", delete=False)
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        queryset = scoped_queryset(zone_id)
        if variant in ("ours", "ours-csv"):
            ids = export_jobs.ids_of("projects", queryset)
            export_jobs.write("projects", ids, "csv" if variant == "ours-csv" else "xlsx", out)
            rows = len(ids)
        elif variant == "openpyxl":  # export_jobs.write's .xlsx path, the writer of before
            ids = export_jobs.ids_of("projects", queryset)
            projects = export_jobs.in_order(ids, exports.export_queryset)
            openpyxl_xlsx([exports.project_table(projects)], out)
            rows = len(ids)
        elif variant == "three-lists":
            rows, size = _three_lists_download(zone_id)
            out.write(b"\0" * size)
        elif variant == "old":
            resource = exports.ProjectExportResource()
            if where == "request":
                dataset = resource.export(queryset=queryset)
            else:
                ids = list(queryset.values_list("pk", flat=True))
                projects = export_jobs.in_order(ids, exports.export_queryset)
                dataset = resource.export(queryset=projects)
            out.write(exports.SafeXLSX().export_data(dataset))
            rows = len(dataset)
        else:
            rows = floor_xlsx(queryset, out, "xlsxwriter" if variant.endswith("xlsxwriter") else "")
    seconds = time.perf_counter() - started
    out.close()
    size = os.path.getsize(out.name)
    os.unlink(out.name)
    return {"seconds": seconds, "rows": rows, "queries": queries, "kb": size / 1024}


def _three_lists_download(zone_id: int) -> tuple[int, int]:
    """The zone's 三清单 of last month downloaded through its page (``?download=xlsx``: in the
    request, every project of the zone) by the statistician of ``benchmarks/pages.py``, as a
    test client asks for it; (the zone's projects, the file's bytes)."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from approvals.models import Project
    from benchmarks.pages import people

    client = Client()
    client.force_login(get_user_model().objects.get(username=people()["statistician"]))
    month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    response = client.get(f"/admin/three-lists/?zone={zone_id}&month={month:%Y-%m}&download=xlsx")
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return Project.objects.filter(zone_id=zone_id).count(), len(body)


def run_child(where: str, variant: str, zone_id: int | None) -> dict:
    """``child`` in a subprocess; its peak RSS from the kernel's accounting of that process."""
    process = subprocess.Popen(
        [sys.executable, str(HERE), "--child", where, variant, str(zone_id or 0)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = process.stdout.read(), process.stderr.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{where} {variant} failed:\n{stderr.decode()[-3000:]}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=list(VARIANTS), help="the request or the worker")
    parser.add_argument(
        "--variants", help="a comma-separated choice of the variants (default: all of them)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        where, variant, zone = args.child
        print(json.dumps(child(where, variant, int(zone) or None)))
        return

    setup()
    from django.db.models import Count

    from approvals.models import Project
    from benchmarks.common import machine, table

    print(table("Machine", ["", ""], machine()), flush=True)
    zones = Project.objects.values("zone_id").annotate(n=Count("id")).order_by("-n", "zone_id")
    biggest = zones.first()
    places = {"request": biggest["zone_id"], "worker": None}
    results: dict[tuple[str, str], list[dict]] = {}
    loads = []
    for _round in range(args.rounds):
        for where, variants in VARIANTS.items():
            if args.only and where != args.only:
                continue
            for variant in variants:
                if args.variants and variant not in args.variants.split(","):
                    continue
                results.setdefault((where, variant), []).append(
                    run_child(where, variant, places[where])
                )
                loads.append(os.getloadavg()[0])
                print(f"  {where} {variant}: {results[(where, variant)][-1]}", flush=True)
    rows = []
    for (where, variant), runs in results.items():
        rows.append(
            (
                where,
                variant,
                runs[0]["rows"],
                statistics.median(r["seconds"] for r in runs),
                max(r["peak_mb"] for r in runs),
                runs[0]["queries"],
                runs[0]["kb"],
            )
        )
    print(
        table(
            f"Export of the project list, median of {args.rounds} interleaved rounds "
            f"(load average during the runs {min(loads):.2f}–{max(loads):.2f})",
            ["where", "variant", "rows", "median s", "peak RSS MB", "queries", "file kB"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
