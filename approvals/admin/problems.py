"""Admin for problems (堵点): the list with each problem's colour, the form that reports one
(through ``problems.problem_add``), the change page with its status history and a form for each
change possible now (through ``problems.problem_transition``, with why not the others: a
supervisor who resolved a problem reads why it cannot close it), and the supervisors' queue of
problems waiting for their closing (销号)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from approvals.access import permissions
from approvals.admin.at_scale import PageColumns, SearchedByProject, SeenZonesFilter
from approvals.admin.base import (
    HistoryAdmin,
    MergesMeanwhile,
    ReadOnlyRecordInline,
    SafeAutocomplete,
    person,
)
from approvals.admin.colour_filters import ProblemColourFilter
from approvals.admin.transitions import TransitionAdminMixin
from approvals.cases.colours import MilestoneColours, badge, problem_colour
from approvals.casework.problems import (
    ADD_PROBLEM,
    problem_add,
    problem_options,
    problem_transition,
)
from approvals.core.display import sentences
from approvals.models import Problem, ProblemChange, ProblemStatus, Project, TransitionRefused
from approvals.stages.forms import TransitionForm, form_errors

#: The evidence a problem's changes ask for beyond the forms' shared fields (``forms.py``).
PROBLEM_EVIDENCE = ("resolution", "resolved_on")


class ProblemTransitionForm(TransitionForm):
    """A change of a problem's status: the shared evidence form, with the resolution and its
    date that only problems ask for."""

    def __init__(self, *args, evidence: tuple[str, ...] = (), **kwargs):
        shared = tuple(name for name in evidence if name not in PROBLEM_EVIDENCE)
        super().__init__(*args, evidence=shared, **kwargs)
        own = {
            "resolution": forms.CharField(
                label=_("Resolution"),
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("What was done, by whom, with what result."),
            ),
            "resolved_on": forms.DateField(
                label=_("Resolved on"),
                initial=timezone.localdate,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            ),
        }
        ordered = {name: own.get(name) or self.fields[name] for name in evidence}
        self.fields = {**ordered, **{k: v for k, v in self.fields.items() if k not in ordered}}
        self.evidence = tuple(evidence)


def people_choices(field, user, project: Project | None, current=None) -> None:
    """Who may be responsible for a problem: officers and supervisors of the project's zone (of
    one's casework zones on a new problem), and whoever holds it now."""
    people = permissions.officer_choices(permissions.choice_zones(user, project))
    if current is not None:
        people = people | people.model.objects.filter(pk=current.pk)
    field.queryset = people.distinct().order_by("username")


class ProblemAddForm(forms.ModelForm):
    """Reporting a problem. The service checks the permission, the person responsible and that
    the same text is not recorded for the project already; it runs once the fields are valid,
    inside the admin's transaction, so that a refusal is shown on the form like any error."""

    class Meta:
        model = Problem
        fields = (
            "project",
            "description",
            "category",
            "department",
            "deadline",
            "responsible",
            "reported_on",
        )

    user = None  # set by ProblemAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "project" in self.fields:
            self.fields["project"].queryset = permissions.scope(
                Project.objects.all(), self.user, ADD_PROBLEM
            )
        if "responsible" in self.fields:
            people_choices(self.fields["responsible"], self.user, None)

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return
        data = self.cleaned_data
        try:
            self.instance = problem_add(
                project=data["project"],
                by=self.user,
                description=data["description"],
                category=data["category"],
                department=data.get("department", ""),
                deadline=data.get("deadline"),
                responsible=data.get("responsible"),
                reported_on=data.get("reported_on"),
            )
        except PermissionDenied as denied:
            self.add_error("project", str(denied))
        except TransitionRefused as refused:
            self.add_error(None, refused.reasons)


class ProblemChangeForm(MergesMeanwhile):
    """A problem's facts that may change while it is worked off; its text is what makes it the
    same problem when a list names it again, so it stays as reported. The officer and the
    supervisors work one problem: what one saved after the other opened the page is merged,
    not written back (``MergesMeanwhile``)."""

    class Meta:
        model = Problem
        fields = ("category", "department", "deadline", "responsible")

    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "responsible" in self.fields and self.instance.project_id:
            current = self.instance.responsible if self.instance.responsible_id else None
            people_choices(self.fields["responsible"], self.user, self.instance.project, current)


class QueueFilter(admin.SimpleListFilter):
    """One's own problems (as the reminders find the person responsible), and for supervisors
    the resolved ones waiting for their closing (销号): never those they resolved themselves."""

    title = pgettext_lazy("problems", "queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        choices = [("mine", _("Mine to solve"))]
        if permissions.may_close_somewhere(request.user):
            choices.append(("closing", _("Waiting for my closing (销号)")))
        return choices

    def queryset(self, request, queryset):
        user = request.user
        if self.value() == "mine":
            return queryset.handled_by(user)
        if self.value() == "closing":
            return queryset.filter(pk__in=Problem.objects.awaiting_closing(user).values("pk"))
        return queryset


class ProblemChangeInline(ReadOnlyRecordInline):
    model = ProblemChange
    verbose_name_plural = _("status history")


#: The resolution and closing (销号) section: transitions and escalation write it, never the form.
RESOLUTION = (
    "resolution",
    "resolved_on",
    "resolved_by_name",
    "closed_by_name",
    "closed_at",
    "escalated_on",
)


@admin.register(Problem)
class ProblemAdmin(
    SearchedByProject, PageColumns, SafeAutocomplete, TransitionAdminMixin, HistoryAdmin
):
    class Media:
        css = {"all": ["approvals/admin.css"]}

    change_form_template = "admin/approvals/problem/change_form.html"
    list_display = (
        "short_description",
        "project",
        "category",
        "department",
        "responsible_name",
        "deadline",
        "colour",
        "status",
    )
    # The status is filtered, not sorted; the text searched (issue 21)
    sortable_by = ("project", "category", "department", "deadline")
    list_filter = (
        QueueFilter,
        "status",
        "category",
        "source",  # the enterprises' requests (诉求) from the investor's page among them
        ProblemColourFilter,
        ("project__zone", SeenZonesFilter),
    )
    search_fields = ("description", "department", "project__name_key__matches", "project__code")
    linked_lookups = ("status__in", "deadline__lt")  # the dashboard's tiles (dashboard.py)
    list_select_related = ("project__officer", "responsible")
    # Newest first by the primary key, which any page is read by without sorting the visible
    # rows (the model's order by report date has no index).
    ordering = ("-id",)
    autocomplete_fields = ("project",)
    inlines = [ProblemChangeInline]
    readonly_fields = (
        "project_link",
        "description",
        "status",
        "reported_on",
        "source",
        "contact",
        "service_record_link",
        *RESOLUTION,
        "created_by_name",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "project_link",
                    "description",
                    "status",
                    "category",
                    "department",
                    "responsible",
                    "deadline",
                    "reported_on",
                    "source",
                    "contact",
                    "service_record_link",
                    "created_by_name",
                )
            },
        ),
        (_("Resolution and closing (销号)"), {"fields": RESOLUTION}),
    )
    add_fieldsets = ((None, {"fields": ProblemAddForm.Meta.fields}),)

    # --- columns and fields -------------------------------------------------------------------

    @admin.display(description=_("problem"))  # searched, not sorted (issue 21)
    def short_description(self, obj: Problem) -> str:
        text = obj.description
        return text if len(text) <= 40 else text[:39] + "…"

    @admin.display(description=_("person responsible"))
    def responsible_name(self, obj: Problem) -> str:
        if obj.responsible_id is None and obj.project.officer_id is not None:
            # nobody named: the project's officer follows it up (and is reminded)
            return gettext("%(person)s (the project's officer)") % {
                "person": person(obj.project.officer)
            }
        if obj.responsible_id is None:  # nor an officer: the zone's supervisors (handlers)
            return gettext("the zone's supervisors")
        return person(obj.responsible)

    @admin.display(description=_("colour"))
    def colour(self, obj: Problem) -> str:
        return badge(getattr(obj, "colour_now", None))

    @admin.display(description=_("project"))
    def project_link(self, obj: Problem) -> str:
        url = reverse("admin:approvals_project_change", args=[obj.project_id])
        return format_html('<a href="{}">{}</a>', url, obj.project)

    @admin.display(description=_("service record"))
    def service_record_link(self, obj: Problem) -> str:
        if obj.service_record_id is None:
            return "—"
        url = reverse("admin:approvals_servicerecord_change", args=[obj.service_record_id])
        return format_html('<a href="{}">{}</a>', url, obj.service_record)

    @admin.display(description=_("resolved by"))
    def resolved_by_name(self, obj: Problem) -> str:
        return person(obj.resolved_by)

    @admin.display(description=_("closed by"))
    def closed_by_name(self, obj: Problem) -> str:
        return person(obj.closed_by)

    @admin.display(description=_("reported by"))
    def created_by_name(self, obj: Problem) -> str:
        return person(obj.created_by)

    def page_columns(self, request: HttpRequest, rows: list[Problem]) -> None:
        """Each shown problem's colour, with the thresholds read once for the page."""
        colours = MilestoneColours.on(timezone.localdate())
        for problem in rows:
            problem.colour_now = problem_colour(problem, colours)

    # --- who may do what ----------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.has(request.user, ADD_PROBLEM)

    def has_change_permission(self, request: HttpRequest, obj: Problem | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        if obj.status == ProblemStatus.CLOSED:
            return False  # 销号 is final: what was closed stays as it was confirmed
        return permissions.may_work_problem(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Problem | None = None) -> bool:
        return permissions.is_administrator(request.user)  # a problem is closed, not deleted

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ProblemChangeForm if obj is not None else ProblemAddForm
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj: Problem, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # A new problem was saved by problem_add when its form was validated.

    # --- the status changes -------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        problem = self.get_object(request, object_id)
        if problem is not None:
            extra_context["transition_options"] = [
                (option, ProblemTransitionForm(evidence=option.evidence, prefix=option.name))
                for option in problem_options(problem, request.user)
            ]
            extra_context["transition_url_name"] = "admin:approvals_problem_transition"
            extra_context["state_label"] = problem.get_status_display()
        # The mixin's own panel asks the generic workflow, without the four-eyes reason.
        return super(TransitionAdminMixin, self).change_view(
            request, object_id, form_url, extra_context
        )

    def transition_view(self, request: HttpRequest, object_id: str, name: str):
        problem = self.get_object(request, object_id)
        if problem is None or name not in Problem.transition_names():
            raise Http404
        label = Problem.transition_label(name)
        option = next(o for o in problem_options(problem, request.user) if o.name == name)
        form = ProblemTransitionForm(request.POST, evidence=option.evidence, prefix=name)
        if not form.is_valid():
            self.message_user(request, f"{label}: {form_errors(form)}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(problem))
        try:
            problem_transition(problem, name, by=request.user, **form.cleaned_data)
        except TransitionRefused as refused:
            self.message_user(request, f"{label}: {sentences(refused.reasons)}", messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("“%(object)s”: %(change)s done, now “%(state)s”.")
                % {"object": problem, "change": label, "state": problem.get_status_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(problem))
