"""The projects' filters of the API, each the query form of the rule the admin's lists use
(the colour: ``lateness.colour_filter``; the flag: ``compliance.FLAGGED``)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from approvals.cases.colours import MILESTONE_FILTER_CHOICES, MilestoneColours
from approvals.cases.compliance import FLAGGED
from approvals.cases.lateness import colour_filter
from approvals.cases.models.rounds import round_named
from approvals.models import Project, Stage


class ProjectFilter(django_filters.FilterSet):
    zone = django_filters.NumberFilter(field_name="zone_id", label=_("zone"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("stage"))
    colour = django_filters.ChoiceFilter(
        choices=MILESTONE_FILTER_CHOICES, method="by_colour", label=_("colour")
    )
    flagged = django_filters.BooleanFilter(
        method="by_flag", label=_("Works started before permits (开工时前期手续未办结)")
    )
    round = django_filters.CharFilter(method="by_round", label=_("round (year-round, e.g. 2025-1)"))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("updated since")
    )
    search = django_filters.CharFilter(method="by_text", label=_("name or project code"))

    class Meta:
        model = Project
        fields: list[str] = []

    def by_colour(self, queryset, name, value):
        return queryset.filter(colour_filter(value, MilestoneColours.on(timezone.localdate())))

    def by_flag(self, queryset, name, value):
        return queryset.filter(FLAGGED) if value else queryset.exclude(FLAGGED)

    def by_round(self, queryset, name, value):
        named = round_named(value)
        if named is None:
            raise ValidationError({"round": [_("Write the round as year-round, e.g. 2025-1.")]})
        year, number = named
        return queryset.filter(batch_entries__batch__year=year, batch_entries__batch__round=number)

    def by_text(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(name_key__matches=value) | Q(code__icontains=value))
            if value
            else queryset
        )
