"""A list's column headers worked out once per list, not once more for every row.

django-unfold 0.91 labels each cell of a list with its column's header and, to get it, works
out every header again for every row (``unfold_list.items_for_result`` calls
``result_headers(cl)``): the sort links, three query strings per sortable column, 50 rows × 12
columns. On the project list at 100,000 projects that was 41 ms of a page of ~150 ms
(cProfile, issue 21). Upstream removed it after 0.91 (unfoldadmin/django-unfold#2172); until
a release has it, ``install`` (from this package's ``__init__``) keeps the headers of a list on
the list and hands the same ones to every caller. Hand-written for that measurement; harmless
once unfold stops asking (tests/admin/test_big_lists.py counts the work per page)."""

from __future__ import annotations

from unfold.templatetags import unfold_list


def install() -> None:
    original = unfold_list.result_headers
    if getattr(original, "once_per_list", False):
        return

    def result_headers(cl):
        headers = cl.__dict__.get("_headers_once")
        if headers is None:
            headers = cl._headers_once = list(result_headers.original(cl))
        yield from headers

    result_headers.once_per_list = True
    result_headers.original = original
    unfold_list.result_headers = result_headers
