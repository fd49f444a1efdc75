"""The project list's filter 合规提示: the compliance flag 开工时前期手续未办结, all flagged
projects, or those still with items open, or those settled since (the rules' one home is
``approvals.cases.compliance``)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from approvals.cases import compliance

PARAMETER, FLAGGED, STILL_OPEN, SETTLED_SINCE = compliance.FILTER


class ComplianceFilter(admin.SimpleListFilter):
    title = _("Compliance")
    parameter_name = PARAMETER

    def lookups(self, request, model_admin):
        return [
            (FLAGGED, compliance.LABEL),
            (STILL_OPEN, _("… items still open")),
            (SETTLED_SINCE, _("… all settled since")),
        ]

    def queryset(self, request, queryset):
        if self.value() == FLAGGED:
            return queryset.filter(compliance.FLAGGED)
        if self.value() == STILL_OPEN:
            return queryset.filter(compliance.still_open_condition())
        if self.value() == SETTLED_SINCE:
            return queryset.filter(compliance.settled_since_condition())
        return queryset
