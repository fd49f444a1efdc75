"""What keeps the admin's lists and pages fast at 100,000 projects (guide section 11, style
guide point 9): counts that stop, columns worked out for the shown page only, inline rows that
know their parent, and people's choices read once per page."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter

from approvals.core.counts import AtLeast, count_up_to

#: The lookup of a name as matched (``zones.models.Matches``), which search fields name.
MATCHES = "matches"
#: Search words shorter than this cannot use a trigram index (guide section 11): their list
#: reads one page and counts nothing.
TRIGRAM = 3
#: Pages counted beyond the one shown: the pager links that far, and a count stops there.
PAGES_AHEAD = 10


def refuse_nul(*values: str | None) -> None:
    """Nobody types a NUL character, and PostgreSQL cannot hold one in a text value: a search
    or a filter carrying one raised there (a 500). Refused as a bad request instead."""
    if any("\x00" in (value or "") for value in values):
        raise BadRequest("A NUL character in the request.")


class SeenZonesFilter(admin.RelatedFieldListFilter):
    """A filter by zone offering the zones one sees (``permissions.zones_visible``), read
    from the zones table: Django's RelatedOnlyFieldListFilter reads the zone of every visible
    row (SELECT DISTINCT over 840,000 items) to offer twenty zones. Same parameter."""

    def field_choices(self, field, request, model_admin):
        from approvals.access import permissions

        return [(zone.pk, str(zone)) for zone in permissions.zones_visible(request.user)]


class DateRangeFilter(RangeDateFilter):
    """From one day to another, both included (days in Beijing time), in place of Django's
    ``date_hierarchy``, whose links read the years, months and days of every visible row
    (SELECT DISTINCT with a time-zone conversion per row: 386–770 ms on 1,000,000 audit
    events, issue 21). On a date-and-time column the days become the instants that bound
    them, so the column's index serves the filter (``at__date`` converted every row). A day
    that is no date is said on the filter and in a message, and left out of the filter."""

    def queryset(self, request, queryset):
        form = self.form_class(name=self.parameter_name, data=self.used_parameters)
        form.is_valid()
        for end in ("from", "to"):
            name = f"{self.parameter_name}_{end}"
            if name in form.errors:
                messages.warning(
                    request,
                    gettext("“%(value)s” is no date (write it as 2026-12-06): not filtered by it.")
                    % {"value": self.used_parameters[name]},
                )
        first = form.cleaned_data.get(f"{self.parameter_name}_from")
        last = form.cleaned_data.get(f"{self.parameter_name}_to")
        bounds = {}
        if isinstance(self.field, models.DateTimeField):
            if first is not None:
                bounds[f"{self.field_path}__gte"] = day_start(first)
            if last is not None:
                bounds[f"{self.field_path}__lt"] = day_start(last + dt.timedelta(days=1))
        else:
            if first is not None:
                bounds[f"{self.field_path}__gte"] = first
            if last is not None:
                bounds[f"{self.field_path}__lte"] = last
        return queryset.filter(**bounds) if bounds else queryset


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the desk's time zone (Beijing)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class IndustryFilter(admin.SimpleListFilter):
    """A filter by industry offering the lead industries of the zones one sees (read from the
    zones table, ``Zone.industries``): Django's filter of the field read the industry of every
    visible project (SELECT DISTINCT over 100,000 projects on every visit, issue 21). Same
    parameter as Django's filter had, so its links still answer."""

    title = _("industry")
    parameter_name = "industry"

    def lookups(self, request, model_admin):
        from approvals.access import permissions

        industries = {
            i for zone in permissions.zones_visible(request.user) for i in zone.industries
        }
        if self.value():  # one asked for by a link: offered, so the filter applies and shows
            industries.add(self.value())
        return [(industry, industry) for industry in sorted(industries)]

    def queryset(self, request, queryset):
        return queryset.filter(industry=self.value()) if self.value() else queryset


def searched(field: str) -> str:
    """A search field as the filter Django's search makes of it: its own lookup where it names
    one (``name_key__matches``), else ``icontains``."""
    return field if field.endswith(f"__{MATCHES}") else f"{field}__icontains"


def search_words(term: str) -> list[str]:
    """The words of a search as Django's admin splits them (quotes keep a phrase together)."""
    words = []
    for bit in smart_split(term or ""):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            words.append(bit)
    return words


def page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("p", 1)))
    except ValueError:
        return 1


class BoundedPaginator(Paginator):
    """Counts the rows only up to ``limit``: COUNT over a LIMITed subquery, which stops where
    an exact count of 100,000 rows would read them all. The pager then offers the pages up to
    there, and the page after the last counted one when there are more rows."""

    def __init__(self, object_list, per_page, *args, limit: int, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.limit = limit

    @cached_property
    def count(self) -> int:
        return count_up_to(self.object_list, self.limit)


class LookaheadPaginator(Paginator):
    """Counts nothing: reads the asked page and one row more, which says whether a next page
    exists. The count it gives is the rows up to there (what the pager needs)."""

    def __init__(self, object_list, per_page, *args, number: int, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.number = number
        self.rows: list = []

    @cached_property
    def count(self) -> int:
        offset = (self.number - 1) * self.per_page
        self.rows = list(self.object_list[offset : offset + self.per_page + 1])
        if len(self.rows) > self.per_page:  # a next page: more rows than this
            return AtLeast(offset + len(self.rows))
        return offset + len(self.rows)

    def page(self, number):
        number = self.validate_number(number)
        if number == self.number and "count" in self.__dict__:
            return self._get_page(self.rows[: self.per_page], number, self)  # no second read
        return super().page(number)


class FewCounts:
    """A ModelAdmin mixin: no second, unfiltered count, and a bounded one for the list (an
    exact count of every row is read by nobody); no count at all while searching for a short
    word, which no index serves. Every ModelAdmin of ours has it (``base.ModelAdmin``); a test
    walks the admin site and finds it on each list (tests/admin/test_big_lists.py)."""

    show_full_result_count = False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        number = page_number(request)
        words = search_words(request.GET.get("q", ""))
        if any(len(word) < TRIGRAM for word in words):
            return LookaheadPaginator(
                queryset, per_page, orphans, allow_empty_first_page, number=number
            )
        return BoundedPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            limit=(number + PAGES_AHEAD) * per_page,
        )


class PageColumns:
    """A ModelAdmin mixin: the admin's ``page_columns(request, rows)`` works out columns for the
    shown page only, in one query, after the page is read (an annotation with a subquery would
    run for every row the database passes over, skipped pages included). An admin that mixes
    it in without that method is refused when its class is made, not on its first list."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "page_columns", None)):
            raise TypeError(f"{cls.__name__} mixes in PageColumns without page_columns()")

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        admin = self

        class PageColumnsChangeList(base):
            def get_results(self, request) -> None:
                super().get_results(request)
                self.result_list = list(self.result_list)
                admin.page_columns(request, self.result_list)

        return PageColumnsChangeList


class ParentKnownInline:
    """An inline mixin: its rows get the page's object as their parent, so that a row's
    ``__str__`` or a form reading ``row.project`` does not fetch the project once per row."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class ParentKnownFormSet(formset):
            def get_queryset(self):
                queryset = super().get_queryset()
                if self.instance.pk is not None and queryset._result_cache is None:
                    for row in queryset:  # reads the rows once; the formset keeps them
                        setattr(row, self.fk.name, self.instance)
                return queryset

        return ParentKnownFormSet


def shared_choices(field, owner, key, people, current=None) -> None:
    """Give a ModelChoiceField the choices of ``people`` read once per ``owner`` (the page's
    project, which its rows share): every row of a checklist offers the same people, and each
    would otherwise run the query again to draw its select. ``current``, someone who has left
    the role since, stays selectable on its own row. Validation still asks the queryset.
    ``people`` may be a callable giving the queryset: it is then made once per owner too
    (making it, a filter over roles, cost 3 ms a row: 66 ms of a checklist, issue 21)."""
    cache = owner.__dict__.setdefault("_shared_choices", {})
    if key not in cache:
        people = people() if callable(people) else people
        listed = [(person.pk, field.label_from_instance(person)) for person in people]
        cache[key] = (listed, {pk for pk, _ in listed}, people, people.distinct())
    listed, keys, people, offered = cache[key]
    choices = list(listed)
    if current is not None and current.pk not in keys:
        choices.append((current.pk, field.label_from_instance(current)))
        offered = (people | people.model.objects.filter(pk=current.pk)).distinct()
    field.queryset = offered
    if field.empty_label is not None:
        choices.insert(0, ("", field.empty_label))
    field.choices = choices


class SearchedByProject:
    """A ModelAdmin mixin for lists of a project's rows (items, stage requests, problems,
    service records, reminders, stage changes), whose search names the project's fields
    (``project__name_key__matches`` …) beside the row's own: each word is looked up as the ids
    of its parts apart, joined (UNION ALL), and the list reads those rows by their keys.

    Django's search is one OR of LIKEs over the row joined to its project: no index serves it,
    so the list read every visible row joined to its project to find a page (an officer's
    two-character search of the items: 420 ms at 840,000 items, issue 21, most of it the
    join). Apart, the projects are found among the visible ones (or off the trigram indexes
    for a word of three characters or more), their rows off the project key's index, and
    the row's own fields each in one read of its table. Same rows as Django's search: each
    word in some field, every word (``tests/admin/test_big_lists.py``).

    Where a word names many projects (``DENSE`` or more, counted first), Django's way is the
    fast one: reading the rows in the list's order finds a page of matches within a few
    hundred rows, where the ids apart would fetch and sort all of them (the system
    administrator's 氢能, one project in twenty: 11,252 stage requests, 270 ms).
    """

    project_prefix = "project__"
    #: From this many projects named, a word's matches are dense enough to read in order.
    DENSE = 200

    def get_search_results(self, request, queryset, search_term):
        from approvals.access import permissions
        from approvals.models import Project

        refuse_nul(search_term)
        words = search_words(search_term)
        prefix = self.project_prefix
        of_project = [f.removeprefix(prefix) for f in self.search_fields if f.startswith(prefix)]
        own = [f for f in self.search_fields if not f.startswith(prefix)]
        if not words or not of_project:
            return super().get_search_results(request, queryset, search_term)
        rows = queryset.model._default_manager.order_by()
        apart = []
        for word in words:
            projects = Project.objects.order_by()
            if len(word) < TRIGRAM:  # no index serves it: the visible projects only
                projects = permissions.scope(projects, request.user, permissions.VIEW)
            found = [projects.filter(**{searched(f): word}).values("pk") for f in of_project]
            # UNION ALL: the count stops at DENSE rows found (a project named by its name and
            # its code counts twice: a guess of which way is faster, not a result), where a
            # UNION read every match of each part to drop the doubles first (55 ms at 100,000
            # projects for a word in one name of twenty, benchmarks/README.md section 27)
            named = found[0].union(*found[1:], all=True) if len(found) > 1 else found[0]
            if named[: self.DENSE].count() >= self.DENSE:
                return super().get_search_results(request, queryset, search_term)
            parts = [rows.filter(**{f"{prefix}pk__in": named})]
            parts += [rows.filter(**{searched(f): word}) for f in own]
            ids = [part.values("pk") for part in parts]
            apart.append(ids[0].union(*ids[1:], all=True))
        for ids in apart:
            queryset = queryset.filter(pk__in=ids)
        return queryset, False
