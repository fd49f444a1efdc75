"""Pieces the approvals admin pages share."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper
from unfold import admin as unfold

from ..display import local_time


class ModelAdmin(unfold.ModelAdmin):
    """django-unfold's ModelAdmin as the desk uses it: on a wide screen the list's filters stand
    beside it, as in Django's own admin, instead of behind a button."""

    list_filter_sheet = False


class TabularInline(unfold.TabularInline):
    """django-unfold's tabular inline without the title row above each row, which repeats the
    object's name where the columns already say it."""

    hide_title = True


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up again when a refused form is
    drawn once more; a value that is no key at all (10,000 digits) then raised, a 500. Values
    the related key cannot hold are dropped before that lookup: the field error says why."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or "pk")
        usable = []
        for raw in value:
            try:
                key.to_python(raw)
                key.get_prep_value(key.to_python(raw))
            except (ValidationError, ValueError, TypeError, OverflowError):
                continue
            usable.append(raw)
        return super().optgroups(name, usable, attr)


class SafeAutocomplete:
    """A ModelAdmin or inline mixin: its ``autocomplete_fields`` use ``SafeAutocompleteSelect``."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def person(user) -> str:
    """A person as readers see them: by name, never linked (only administrators open users)."""
    return str(user) if user is not None else "—"


class NeverWritten:
    """Records: shown, never added, changed or deleted through the admin."""

    can_delete = False  # for inlines

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class WhoAndWhen:
    """The columns of a ``Record``: when (in Beijing time) and who, by name."""

    @admin.display(description=_("at"), ordering="at")
    def at_local(self, obj) -> str:
        return local_time(obj.at)

    @admin.display(description=_("by"))
    def by_name(self, obj) -> str:
        return person(obj.by)


class RecordInline(NeverWritten, WhoAndWhen, TabularInline):
    """Records listed under their subject, with the person read in the same query. (Not for
    ModelAdmins: a queryset with select_related makes the changelist skip list_select_related.)"""

    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class ReadOnlyRecordInline(RecordInline):
    """Transition records shown under their object."""

    class Media:
        css = {"all": ["approvals/admin.css"]}

    fields = ("at_local", "transition_label", "source", "target", "by_name", "comment")
    readonly_fields = fields

    @admin.display(description=_("transition"))
    def transition_label(self, obj) -> str:
        return self.parent_model.transition_label(obj.transition)


class LabelledHistory(HistoricalRecordContextHelper):
    """Field history as people read it: choices by their label, yes/no, local times, names."""

    #: Changed on every save; the history row's own time says when.
    hidden_fields = frozenset({"updated_at"})

    def context_for_delta_changes(self, delta):
        shown = [c for c in delta.changes if c.field not in self.hidden_fields]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=shown))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "—"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, dt.datetime):
            return local_time(value)
        if isinstance(value, dt.date):
            return formats.date_format(value, "Y-m-d")
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin, ModelAdmin):
    """Field history to read, scoped exactly like the change page. The per-version page can
    save an old version, protected stage or status included, so it is closed to everyone."""

    object_history_list_template = "admin/approvals/history_list.html"

    def history_view(self, request, object_id, extra_context=None):
        # django-simple-history falls back to the latest history row when the object is
        # outside get_queryset and then asks the object-blind has_view_permission: a page of
        # another zone's project. Ask what the change page asks first.
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        raise PermissionDenied

    def get_historical_record_context_helper(self, request, historical_record):
        return LabelledHistory(self.model, historical_record)


class TransitionFilter(admin.SimpleListFilter):
    """The transitions of the record's machine, by their labels."""

    title = _("transition")
    parameter_name = "transition"

    def lookups(self, request, model_admin):
        return model_admin.subject_model.transition_choices()

    def queryset(self, request, queryset):
        return queryset.filter(transition=self.value()) if self.value() else queryset


class ReadOnlyRecordAdmin(NeverWritten, WhoAndWhen, ModelAdmin):
    """The audit records of transitions: readable, never writable through the admin."""

    list_display = ("at_local", "subject", "transition_label", "source", "target", "by", "comment")
    list_filter = ("target", TransitionFilter)
    date_hierarchy = "at"
    fields = (
        "at_local",
        "subject_link",
        "transition_label",
        "source",
        "target",
        "by_name",
        "comment",
    )
    readonly_fields = fields

    @admin.display(description=_("transition"))
    def transition_label(self, obj) -> str:
        return self.subject_model.transition_label(obj.transition)
