"""The transition panel of a change page: what may run now (a small form each, for the
evidence it needs) and why the rest may not. Running goes through ``workflow.run_transition``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from approvals.core.display import sentences
from approvals.models import TransitionRefused
from approvals.stages import workflow
from approvals.stages.forms import TransitionForm, form_errors


class TransitionAdminMixin:
    """For a ModelAdmin of a ``RecordedMachine`` whose template includes the panel."""

    def _info(self) -> tuple[str, str]:
        return self.model._meta.app_label, self.model._meta.model_name

    def get_urls(self):
        app_label, model_name = self._info()
        return [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name=f"{app_label}_{model_name}_transition",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            app_label, model_name = self._info()
            extra_context["transition_options"] = [
                (option, TransitionForm(evidence=option.evidence, prefix=option.name))
                for option in workflow.transition_options(obj, request.user)
            ]
            extra_context["transition_url_name"] = f"admin:{app_label}_{model_name}_transition"
            extra_context["state_label"] = getattr(obj, f"get_{obj.state_field().name}_display")()
        return super().change_view(request, object_id, form_url, extra_context)

    def _change_url(self, obj) -> str:
        app_label, model_name = self._info()
        return reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])

    def transition_view(self, request: HttpRequest, object_id: str, name: str):
        obj = self.get_object(request, object_id)
        if obj is None or name not in self.model.transition_names():
            raise Http404
        label = self.model.transition_label(name)
        option = next(o for o in workflow.transition_options(obj, request.user) if o.name == name)
        form = TransitionForm(request.POST, evidence=option.evidence, prefix=name)
        if not form.is_valid():
            self.message_user(request, f"{label}: {form_errors(form)}", messages.ERROR)
            return HttpResponseRedirect(self._change_url(obj))
        try:
            workflow.run_transition(obj, name, by=request.user, **form.cleaned_data)
        except PermissionDenied:
            raise
        except TransitionRefused as refused:
            self.message_user(request, f"{label}: {sentences(refused.reasons)}", messages.ERROR)
        else:
            state = getattr(obj, f"get_{obj.state_field().name}_display")()
            self.message_user(
                request,
                gettext("“%(object)s”: %(change)s done, now “%(state)s”.")
                % {"object": obj, "change": label, "state": state},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._change_url(obj))
