"""Admin for service records (入企服务记录): the list of visits, calls and meetings, and the form
that records one (through ``problems.service_record_add``) with an optional follow-up that opens
a problem in the same step. Records are kept: nobody deletes one."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminSingleDateWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from approvals.access import permissions
from approvals.admin.at_scale import (
    DateRangeFilter,
    PageColumns,
    SearchedByProject,
    SeenZonesFilter,
)
from approvals.admin.base import HistoryAdmin, SafeAutocomplete, person
from approvals.casework.problems import ADD_RECORD, FollowUp, service_record_add
from approvals.models import Problem, ProblemCategory, Project, ServiceRecord, TransitionRefused

CHANGE_RECORD = "approvals.change_servicerecord"


class ServiceRecordAddForm(forms.ModelForm):
    """A visit, call or meeting, and what is to follow: a problem text opens a problem of the
    project in the same step (both or neither are saved). The service runs once the fields are
    valid, inside the admin's transaction, so that a refusal shows on the form."""

    follow_up = forms.CharField(
        label=_("follow-up: problem"),
        required=False,
        max_length=4000,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 2}),
        help_text=_("A problem the visit found; leave empty when there is none."),
    )
    follow_up_category = forms.ChoiceField(
        label=_("follow-up: category"),
        choices=ProblemCategory.choices,
        initial=ProblemCategory.OTHER,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    follow_up_department = forms.CharField(
        label=_("follow-up: handed to (department)"),
        max_length=100,
        required=False,
        widget=UnfoldAdminTextInputWidget,
    )
    follow_up_deadline = forms.DateField(
        label=_("follow-up: deadline"), required=False, widget=UnfoldAdminSingleDateWidget
    )

    class Meta:
        model = ServiceRecord
        fields = ("project", "day", "kind", "participants", "done")

    user = None  # set by ServiceRecordAdmin.get_form
    problem: Problem | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "project" in self.fields:
            self.fields["project"].queryset = permissions.scope(
                Project.objects.all(), self.user, ADD_RECORD
            )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("follow_up") or "").strip():
            extra = [
                name for name in ("follow_up_department", "follow_up_deadline") if cleaned.get(name)
            ]
            for name in extra:
                self.add_error(
                    name, gettext("Write the problem to follow up, or leave this empty.")
                )
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        data = self.cleaned_data
        text = (data.get("follow_up") or "").strip()
        follow_up = None
        if text:
            follow_up = FollowUp(
                description=text,
                category=data.get("follow_up_category") or ProblemCategory.OTHER,
                department=data.get("follow_up_department", ""),
                deadline=data.get("follow_up_deadline"),
            )
        try:
            self.instance, self.problem = service_record_add(
                project=data["project"],
                by=self.user,
                day=data["day"],
                kind=data["kind"],
                participants=data["participants"],
                done=data["done"],
                follow_up=follow_up,
            )
        except PermissionDenied as denied:
            self.add_error("project", str(denied))
        except TransitionRefused as refused:
            self.add_error("follow_up" if follow_up else None, refused.reasons)


class ServiceRecordChangeForm(forms.ModelForm):
    class Meta:
        model = ServiceRecord
        fields = ("day", "kind", "participants", "done")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(SearchedByProject, PageColumns, SafeAutocomplete, HistoryAdmin):
    list_display = (
        "day",
        "project",
        "kind",
        "short_done",
        "recorded_by_name",
        "problems_opened",
    )
    list_filter = ("kind", ("project__zone", SeenZonesFilter), ("day", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied
    search_fields = ("project__name_key__matches", "project__code", "participants", "done")
    list_select_related = ("project", "recorded_by")
    autocomplete_fields = ("project",)
    add_fieldsets = (
        (None, {"fields": ("project", "day", "kind", "participants", "done")}),
        (
            _("Follow-up"),
            {
                "fields": (
                    "follow_up",
                    "follow_up_category",
                    "follow_up_department",
                    "follow_up_deadline",
                ),
                "description": _("A problem written here is opened for the project at once."),
            },
        ),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "project_link",
                    "day",
                    "kind",
                    "participants",
                    "done",
                    "recorded_by_name",
                    "recorded_at",
                    "problem_links",
                )
            },
        ),
    )
    readonly_fields = ("project_link", "recorded_by_name", "recorded_at", "problem_links")

    @admin.display(description=_("what was done"))
    def short_done(self, obj: ServiceRecord) -> str:
        return obj.done if len(obj.done) <= 40 else obj.done[:39] + "…"

    @admin.display(description=_("recorded by"))
    def recorded_by_name(self, obj: ServiceRecord) -> str:
        return person(obj.recorded_by)

    @admin.display(description=_("problems opened"))
    def problems_opened(self, obj: ServiceRecord) -> int:
        return getattr(obj, "problem_count", 0)

    @admin.display(description=_("project"))
    def project_link(self, obj: ServiceRecord) -> str:
        url = reverse("admin:approvals_project_change", args=[obj.project_id])
        return format_html('<a href="{}">{}</a>', url, obj.project)

    @admin.display(description=_("problems opened"))
    def problem_links(self, obj: ServiceRecord) -> str:
        problems = list(obj.problems.all())
        if not problems:
            return "—"
        return format_html_join(
            "",
            '<div><a href="{}">{}</a>（{}）</div>',
            (
                (
                    reverse("admin:approvals_problem_change", args=[p.pk]),
                    p.description,
                    p.get_status_display(),
                )
                for p in problems
            ),
        )

    def page_columns(self, request: HttpRequest, rows: list[ServiceRecord]) -> None:
        """How many problems each shown record opened, in one query for the page."""
        counts = dict(
            Problem.objects.filter(service_record__in=[r.pk for r in rows])
            .values_list("service_record")
            .annotate(n=Count("pk"))
            .values_list("service_record", "n")
        )
        for record in rows:
            record.problem_count = counts.get(record.pk, 0)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.has(request.user, ADD_RECORD)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return permissions.has(request.user, CHANGE_RECORD, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a record of what was done stays

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ServiceRecordChangeForm if obj is not None else ServiceRecordAddForm
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj: ServiceRecord, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # A new record (and its follow-up) was saved by service_record_add with the form.

    def save_form(self, request, form, change):
        if not change and form.problem is not None:
            self.message_user(
                request,
                gettext("The follow-up is opened as a problem: “%(problem)s”.")
                % {"problem": form.problem.description},
                messages.SUCCESS,
            )
        return super().save_form(request, form, change)
