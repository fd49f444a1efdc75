"""Counts that stop: the number of rows up to a bound, where an exact count of 100,000 rows
would read them all and nobody reads a number that large (issue 21). One home for the rule
and for how such a count shows: the admin's lists (``admin.at_scale.BoundedPaginator``) and
the to-do list's totals (``figures.todo``) call it."""

from __future__ import annotations

from django.db.models import QuerySet


class AtLeast(int):
    """A count that stopped before the end: shown as "1100+" wherever it is printed ("1100+
    项目", "Select all 1100+"), used as the number it is elsewhere."""

    def __str__(self) -> str:
        return f"{int(self)}+"


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """The rows of ``queryset``, counted up to ``limit``: COUNT over a LIMITed subquery,
    without the queryset's ORDER BY (the count of the first rows does not depend on which come
    first, and a sort inside the count made PostgreSQL sort every row). ``AtLeast(limit)`` when
    there are more."""
    counted = queryset.order_by()[: limit + 1].count()
    return AtLeast(limit) if counted > limit else counted
