"""督办通报 kept (issue 23): the list of the bulletins one reads, by week, zone or city, the
weekly ones and those asked for; a download of each, scoped like the list
(``permissions.bulletins``: another zone's is not found); and "make one now" for a zone or a
city and a week one reads, from the reports page.

A zone's is made in the request: a zone of 5,000 projects takes 0.27 s (a fixed dozen queries
and a document of its late rows); a city's is a job for the worker, its progress on the job's
page: a city of 100,000 projects takes 5.3 s on PostgreSQL, 8.4 on SQLite (benchmarks/bulletin.py,
benchmarks/README.md section 26)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.access import permissions
from approvals.admin.base import ModelAdmin, NeverWritten
from approvals.audit import services as audit
from approvals.bulletins import services as bulletins
from approvals.core.dates import validate_entered_date
from approvals.core.display import day, local_time
from approvals.jobs import services as jobs
from approvals.models import AuditKind, Bulletin, JobKind
from zones.models import Zone

#: How many kept bulletins the reports page lists (the newest; the list page has them all).
SHOWN = 20


def download_url(bulletin: Bulletin) -> str:
    return reverse("admin:approvals_bulletin_download", args=[bulletin.pk])


def place(bulletin: Bulletin) -> str:
    return bulletin.zone.name if bulletin.zone_id else bulletin.city


@admin.register(Bulletin)
class BulletinAdmin(NeverWritten, ModelAdmin):
    list_display = ("week_start", "where", "weekly", "made_at_local", "made_by", "download")
    # By zone (a choice of the zones, not a scan for distinct cities) and weekly or asked for,
    # sorted by week: the rows are (zones + cities) × weeks and those asked for, a few thousand
    # a year (tests/admin/test_sort_indexes.py counts the list among the bounded ones).
    list_filter = ("weekly", "zone")
    list_select_related = ("zone", "made_by")
    ordering = ("-week_start", "-id")
    sortable_by = ("week_start",)
    fields = (
        "week_start",
        "where",
        "period_start",
        "period_end",
        "weekly",
        "made_at_local",
        "made_by",
        "download",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("zone or city"))
    def where(self, obj: Bulletin) -> str:
        return place(obj)

    @admin.display(description=gettext_lazy("made at"))
    def made_at_local(self, obj: Bulletin) -> str:
        return local_time(obj.made_at)

    @admin.display(description=gettext_lazy("file"))
    def download(self, obj: Bulletin) -> str:
        return format_html(
            '<a href="{}" class="bulletin-download">{}</a>',
            download_url(obj),
            obj.download_name,
        )

    def get_queryset(self, request):
        return permissions.bulletins(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None:
            return permissions.may_read_bulletins_somewhere(request.user)
        return permissions.may_read_bulletin(request.user, zone_id=obj.zone_id, city=obj.city)

    def has_module_permission(self, request) -> bool:
        return permissions.may_read_bulletins_somewhere(request.user)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="approvals_bulletin_download",
            ),
            path(
                "make/",
                self.admin_site.admin_view(self.make_view),
                name="approvals_bulletin_make",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, object_id: str):
        # Through get_queryset: another zone's bulletin is not found, as on its change page.
        bulletin = self.get_object(request, object_id)
        if bulletin is None or not bulletin.file:
            raise Http404
        name = bulletin.download_name
        audit.record(AuditKind.EXPORT, request=request, obj=bulletin, file=name)
        return FileResponse(bulletin.file.open("rb"), as_attachment=True, filename=name)

    def make_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        form = MakeForm(request.POST, user=request.user)
        back = reverse("admin:reports") + "#bulletins"
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return HttpResponseRedirect(back)
        zone, city = form.place()
        if not permissions.may_read_bulletin(
            request.user, zone_id=zone.pk if zone else None, city=city
        ):
            raise PermissionDenied
        if zone is None:  # a city's: seconds at a province's scale, in the worker
            job = jobs.start(
                JobKind.BULLETIN,
                by=request.user,
                payload={"city": city, "week": form.cleaned_data["week"].isoformat()},
            )
            return HttpResponseRedirect(reverse("admin:approvals_job_change", args=[job.pk]))
        made = bulletins.make(
            zone=zone, city=city, week=form.cleaned_data["week"], weekly=False, user=request.user
        )
        messages.success(
            request,
            _("The bulletin of %(place)s for the week of %(week)s is made: %(file)s")
            % {
                "place": place(made),
                "week": day(made.week_start),
                "file": made.download_name,
            },
        )
        return HttpResponseRedirect(back)


class MakeForm(forms.Form):
    """ "Make one now": a zone or a city one reads, and any day of the week."""

    where = forms.ChoiceField(label=gettext_lazy("zone or city"))
    week = forms.DateField(
        label=gettext_lazy("week (any day of it)"),
        validators=[validate_entered_date],
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["where"].choices = place_choices(user)
        if not self.is_bound:
            self.initial["week"] = bulletins.week_reported(timezone.localdate()).isoformat()

    def clean_week(self) -> dt.date:
        week = self.cleaned_data["week"]
        if week > timezone.localdate():
            raise forms.ValidationError(_("That week has not begun."))
        return week

    def place(self) -> tuple[Zone | None, str]:
        kind, _sep, value = self.cleaned_data["where"].partition(":")
        if kind == "zone":
            return Zone.objects.get(pk=int(value)), ""
        return None, value


def place_choices(user) -> list[tuple[str, str]]:
    """The zones and the cities whose bulletins ``user`` reads (one query each)."""
    zones = permissions.bulletin_zones(user)
    found = Zone.objects.order_by("name")
    if zones is not None:
        found = found.filter(pk__in=zones)
    cities = permissions.bulletin_cities(user)
    if cities is None:
        cities = set(bulletins.cities_with_zones())
    city_word = _("%(city)s (all its zones)")
    return [
        *[(f"city:{city}", city_word % {"city": city}) for city in sorted(cities)],
        *[(f"zone:{zone.pk}", zone.name) for zone in found],
    ]


def kept_for_reports(user, zone: Zone | None = None) -> list[dict]:
    """The newest kept bulletins ``user`` reads (of ``zone`` when the page's filter names one),
    for the reports page: one query."""
    rows = permissions.bulletins(Bulletin.objects.select_related("zone", "made_by"), user)
    if zone is not None:
        rows = rows.filter(zone=zone) | rows.filter(zone__isnull=True, city=zone.city)
    return [
        {
            "week": day(b.week_start),
            "period": f"{day(b.period_start)} ~ {day(b.period_end)}",
            "place": place(b),
            "weekly": b.weekly,
            "made_at": local_time(b.made_at),
            "made_by": str(b.made_by) if b.made_by_id else "",
            "url": download_url(b),
            "name": b.download_name,
        }
        for b in rows.order_by("-week_start", "-made_at", "-id")[:SHOWN]
    ]
