"""Admin for projects: declarative lists and forms; stage changes go through ``workflow``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zones.models import Zone, ZoneRole
from zones.roles import CASEWORK_ROLES

from . import workflow
from .forms import TransitionForm
from .models import MILESTONE_STAGES, Milestone, Project, Stage, StageChange, TransitionRefused


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    max_num = len(MILESTONE_STAGES)
    fields = ("stage", "planned_date", "planned_month_only", "actual_date")
    readonly_fields = ("actual_date",)  # set by the stage change that reaches it


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    fields = ("at", "transition_label", "source", "target", "by", "comment")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("stage history")

    @admin.display(description=_("transition"))
    def transition_label(self, obj: StageChange) -> str:
        return transition_label(obj.transition)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def transition_label(name: str) -> str:
    if not name:
        return gettext("Created")
    spec = next(
        (t.custom for t in Project._meta.get_field("stage").get_all_transitions(Project) if t.name == name),
        None,
    )
    return str(spec["label"]) if spec else name


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    change_form_template = "admin/approvals/project/change_form.html"
    list_display = (
        "name",
        "code",
        "zone",
        "enterprise",
        "stage",
        "next_milestone",
        "investment_yi",
        "officer",
    )
    list_filter = (
        ("zone", admin.RelatedOnlyFieldListFilter),
        "stage",
        "industry",
        "authorisation",
        "is_provincial_key",
        "is_city_key",
        "is_standard_land",
        "is_commitment",
    )
    search_fields = ("name", "code", "enterprise__name")
    list_select_related = ("zone", "enterprise", "officer")
    readonly_fields = ("stage", "investment_yi", "code_format", "actual_annual_output")
    inlines = [MilestoneInline, StageChangeInline]
    fieldsets = (
        (None, {"fields": ("name", "code", "code_format", "zone", "enterprise", "stage")}),
        (
            _("Scale"),
            {
                "fields": (
                    "industry",
                    "content",
                    "total_investment",
                    "investment_yi",
                    "expected_annual_output",
                    "actual_annual_output",
                    "land_area_mu",
                    "authorisation",
                )
            },
        ),
        (
            _("Flags"),
            {"fields": ("is_provincial_key", "is_city_key", "is_standard_land", "is_commitment")},
        ),
        (_("People"), {"fields": ("officer", "leader", "responsible_unit")}),
        (_("Progress"), {"fields": ("progress", "progress_as_of", "notes")}),
    )

    @admin.display(description=_("next milestone"), ordering="next_milestone_date")
    def next_milestone(self, obj: Project) -> str:
        if not obj.next_milestone_stage:
            return "—"
        label = Stage(obj.next_milestone_stage).label
        if obj.next_milestone_date is None:
            return format_html("{} · {}", label, gettext("not planned"))
        return format_html("{} · {}", label, obj.next_milestone_date.isoformat())

    @admin.display(description=_("code format"))
    def code_format(self, obj: Project) -> str:
        generation = obj.code_generation
        return generation.label if generation else "—"

    @admin.display(description=_("total investment (100m yuan)"), ordering="total_investment")
    def investment_yi(self, obj: Project) -> str:
        value = obj.total_investment_yi
        return "—" if value is None else number_format(value.normalize(), decimal_pos=None)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user).with_next_milestone()

    def has_change_permission(self, request: HttpRequest, obj: Project | None = None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return request.user.has_perm("approvals.change_project", obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        user = request.user
        if not user.is_superuser:
            casework_zones = ZoneRole.objects.zone_ids(user, *CASEWORK_ROLES)
            if db_field.name == "zone":
                kwargs["queryset"] = Zone.objects.filter(pk__in=casework_zones)
                kwargs["required"] = True
            elif db_field.name in ("officer", "leader"):
                kwargs["queryset"] = get_user_model().objects.filter(
                    zone_roles__zone__in=casework_zones
                ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- stage changes -------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="approvals_project_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        project = self.get_object(request, object_id)
        if project is not None:
            extra_context["stage_options"] = [
                (option, TransitionForm(evidence=option.evidence, prefix=option.name))
                for option in workflow.transition_options(project, request.user)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _change_url(project: Project) -> str:
        return reverse("admin:approvals_project_change", args=[project.pk])

    def transition_view(self, request: HttpRequest, object_id: str, name: str):
        return require_POST(self._run_transition)(request, object_id, name)

    def _run_transition(self, request: HttpRequest, object_id: str, name: str):
        project = self.get_object(request, object_id)
        if project is None:
            raise Http404
        if name not in workflow.transition_names():
            raise Http404
        option = next(o for o in workflow.transition_options(project, request.user) if o.name == name)
        form = TransitionForm(request.POST, evidence=option.evidence, prefix=name)
        if not form.is_valid():
            errors = "; ".join(
                f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                for f, e in form.errors.items()
            )
            self.message_user(request, f"{option.label}: {errors}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(project))
        try:
            workflow.run_transition(project, name, by=request.user, **form.cleaned_data)
        except PermissionDenied:
            raise
        except TransitionRefused as refused:
            self.message_user(
                request, f"{option.label}: {'；'.join(refused.reasons)}", messages.ERROR
            )
        else:
            self.message_user(
                request,
                gettext("“%(project)s” is now at stage “%(stage)s”.")
                % {"project": project, "stage": project.get_stage_display()},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(project))


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    """The audit record: readable, never writable through the admin."""

    list_display = ("at", "project", "transition_label", "source", "target", "by", "comment")
    list_filter = ("target", "transition")
    search_fields = ("project__name", "project__code", "comment")
    list_select_related = ("project", "by")
    date_hierarchy = "at"

    @admin.display(description=_("transition"))
    def transition_label(self, obj: StageChange) -> str:
        return transition_label(obj.transition)

    def get_queryset(self, request):
        visible = Project.objects.visible_to(request.user)
        return super().get_queryset(request).filter(project__in=visible)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
