"""报表: every report of ``approvals.figures.registry`` as tables, filtered by zone, batch and
period (the last twelve months until the person asks otherwise, as on the dashboard; emptied,
all time), each downloadable as .xlsx. For administrators and anyone with a zone role, over what
each sees (the same scope as the dashboard and every list). Below them, the 督办通报 kept that
the person reads, with "make one now" (``approvals/admin/bulletins.py``)."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.widgets import UnfoldAdminCheckboxSelectMultipleWidget

from approvals.access import permissions
from approvals.admin import bulletins
from approvals.admin.base import SafeModelMultipleChoiceField
from approvals.admin.imports import download
from approvals.core.dates import validate_entered_date
from approvals.figures import registry, reports
from approvals.models import Batch
from approvals.spreadsheets import writing
from zones.models import Zone


class ReportFilter(forms.Form):
    zone = forms.ModelChoiceField(
        label=gettext_lazy("zone"),
        queryset=Zone.objects.none(),
        required=False,
        empty_label=gettext_lazy("All my zones"),
    )
    batch = SafeModelMultipleChoiceField(
        label=gettext_lazy("batches"),
        queryset=Batch.objects.all(),
        required=False,
        # A box to tick per round, in a list that scrolls (filter_form.html): a multi-select
        # needed Ctrl-click and showed four rounds; this needs no script (CSP).
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=gettext_lazy("None chosen: every round (in the period, if one is given)."),
    )
    date_from = forms.DateField(
        label=gettext_lazy("from"),
        required=False,
        validators=[validate_entered_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=gettext_lazy("to"),
        required=False,
        validators=[validate_entered_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = permissions.zones_visible(user)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data

    def selection(self) -> reports.Selection:
        data = self.cleaned_data
        return reports.Selection(
            zones=(data["zone"].pk,) if data.get("zone") else (),
            batches=tuple(batch.pk for batch in data.get("batch") or ()),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


def filter_data(query) -> dict:
    """The filter as asked; asked nothing (no field of the filter in the query, a download of
    the page as first shown included), the last twelve months, as the dashboard's rates."""
    if any(name in query for name in ReportFilter.base_fields):
        return query
    start, end = reports.last_twelve_months(timezone.localdate())
    return {"date_from": start.isoformat(), "date_to": end.isoformat()}


def reports_page(request):
    if not permissions.may_see_figures(request.user):
        raise PermissionDenied
    form = ReportFilter(filter_data(request.GET), user=request.user)
    valid = form.is_valid()
    selection = form.selection() if valid else reports.Selection()
    sections = []
    if valid:
        for report in registry.REPORTS:
            figures = reports.kept(
                report.name,
                selection,
                request.user,
                partial(report.figures, selection, request.user),
            )
            sections.append(
                {"key": report.name, "title": report.label, "tables": report.tables(figures)}
            )
    wanted = request.GET.get("download")
    if wanted in registry.names() and valid:
        section = next(s for s in sections if s["key"] == wanted)
        data = writing.xlsx(
            [
                writing.Table(str(table.sheet), [str(h) for h in table.headers], table.rows)
                for table in section["tables"]
            ]
        )
        return download(data, f"{section['title']}-{timezone.localdate():%Y%m%d}.xlsx")
    query = request.GET.copy()
    query.pop("download", None)
    reads_bulletins = permissions.may_read_bulletins_somewhere(request.user)
    context = {
        "bulletins": (
            bulletins.kept_for_reports(
                request.user, form.cleaned_data.get("zone") if valid else None
            )
            if reads_bulletins
            else None
        ),
        "bulletin_form": bulletins.MakeForm(user=request.user) if reads_bulletins else None,
        "bulletins_list": reverse("admin:approvals_bulletin_changelist") if reads_bulletins else "",
        **admin.site.each_context(request),
        "title": _("Reports"),
        "form": form,
        "sections": sections,
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "admin/approvals/reports.html", context)
