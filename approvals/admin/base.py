"""Pieces the approvals admin pages share."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import (
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import Max
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper
from unfold import admin as unfold
from unfold.forms import PaginationInlineFormSet
from unfold.views import ChangeList as UnfoldChangeList

from approvals.admin.at_scale import DateRangeFilter, FewCounts, refuse_nul
from approvals.core.display import local_time


class ChangeList(UnfoldChangeList):
    """A list answers the filters it declares (``list_filter`` and the ModelAdmin's
    ``linked_lookups``, which the desk's own pages link to), its search and the admin's own
    parameters, nothing else. Django lets any lookup on the model's own fields through the
    query string, so ``?id__exact=9&contact_phone__startswith=139`` answered yes or no about a
    value the page does not show; such a lookup is refused here as Django refuses an
    undeclared one across a relation (``DisallowedModelAdminLookup``: 400). No list has a
    ``date_hierarchy`` (``at_scale.DateRangeFilter`` instead), so none makes bounds of its own."""

    def get_filters(self, request):
        asked = self.get_filters_params()
        refuse_nul(*(value for values in asked.values() for value in values))
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        # What the declared filters took is gone from ``remaining``.
        undeclared = set(remaining) - set(self.model_admin.linked_lookups)
        if undeclared:
            raise DisallowedModelAdminLookup(
                f"Filtering by {', '.join(sorted(undeclared))} not allowed"
            )
        return specs, has_filters, remaining, duplicates, active

    def get_ordering_field(self, field_name):
        """What a column sorts on (issue 21): only a column the list declares sortable
        (``get_sortable_by``; Django takes any column's number from ``?o=``), and a foreign key
        by the row's own key. Django sorts a foreign key by the related model's ordering (a
        project by its zone's name and its name), through a join that sorts every visible
        row before showing fifty; the key's index serves the page, the rows of one project
        together. ``tests/admin/test_sort_indexes.py`` holds every list to it."""
        # None: a list made by django-import-export's export page, which sorts as the list
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        order_field = super().get_ordering_field(field_name)
        if isinstance(order_field, str):
            name = order_field.removeprefix("-")
            try:
                field = self.lookup_opts.get_field(name)
            except FieldDoesNotExist:
                return order_field
            if field.many_to_one:
                return order_field.replace(name, field.attname)
        return order_field

    def get_results(self, request) -> None:
        """A page that holds every row found (no next page) is the rows the paginator read:
        Django reads such a list again, whole and unsliced, after counting it. A short word's
        search counts by reading the page (``LookaheadPaginator``), so it read the rows
        twice, the second time without a limit (100 ms more for an officer's search that
        found nothing at 100,000 projects, issue 21)."""
        super().get_results(request)
        rows = getattr(self.paginator, "rows", None)
        read = rows is not None and "count" in self.paginator.__dict__
        if read and not self.multi_page and len(rows) <= self.list_per_page:
            self.result_list = rows

    def get_ordering(self, request, queryset):
        """A column chosen (``?o=``) is followed by the id alone, not by the list's default
        ordering: the items' default (project, type) made the sort by deadline read
        ``(deadline, project, type)``, which the ``(deadline, id)`` index cannot give, and
        PostgreSQL sorted 840,000 items on disk (155 ms at 100,000 projects, issue 21)."""
        if self.params.get(ORDER_VAR):
            chosen = super().get_ordering(request, queryset.order_by())
            if len(chosen) > 1:  # a sortable column was asked for, then the id
                return chosen
        return super().get_ordering(request, queryset)

    def _get_deterministic_ordering(self, ordering):
        """Django breaks ties by the id descending, whatever the column's direction: a list
        sorted by name ascending then read ``(name, id)`` indexes in neither direction. The
        id goes the column's way here, so the column's ``(column, id)`` index serves the page
        (migration 0034)."""
        ordering = super()._get_deterministic_ordering(ordering)
        # The tie-break is Django's "-pk", or the admin's default ordering by "-id", which
        # Django's ModelAdmin.get_queryset puts on the queryset and the list appends.
        # Only after a column named by a string (an expression has no index to follow).
        first = ordering[0] if ordering else None
        if isinstance(first, str) and not first.startswith("-") and len(ordering) > 1:
            if ordering[-1] in ("-pk", "-id"):
                ordering[-1] = "pk"
        return ordering


class ModelAdmin(FewCounts, unfold.ModelAdmin):
    """django-unfold's ModelAdmin as the desk uses it: on a wide screen the list's filters stand
    beside it, as in Django's own admin, instead of behind a button; the list takes declared
    filters only (``ChangeList``); a search with a NUL character is a bad request. Lists count
    few rows (``FewCounts``) and show 50 a page: 100 rows of unfold's markup were 761 kB
    (issue 21)."""

    list_filter_sheet = False
    list_per_page = 50
    #: None: unfold's list template asks every row for it, and a name a ModelAdmin lacks
    #: costs Django's template a ``dir()`` of the admin to find out (101 a page, 5 ms).
    list_sections: tuple = ()
    #: Likewise asked by unfold's change form for every field (27 a case file).
    conditional_fields: dict = {}  # noqa: RUF012  (read only, never filled)
    #: Lookups of the list that no filter offers but the desk's own pages link to (我的待办,
    #: the dashboard's tiles): declared here, like a filter, to pass ``ChangeList``.
    linked_lookups: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        return ChangeList

    def get_search_results(self, request, queryset, search_term):
        # The list's own search box drops such a term with a message (Django's search form);
        # the autocompletes come here with theirs.
        refuse_nul(search_term)
        return super().get_search_results(request, queryset, search_term)


class OpenedAt(forms.IntegerField):
    """The object's latest history record when its page was opened (a hidden input): never a
    change of the object itself."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data) -> bool:
        return False


def latest_records(model: type[models.Model], ids) -> dict:
    """Each object's latest history record (simple-history's id): id → history id."""
    return dict(
        model.history.filter(id__in=list(ids))
        .order_by()
        .values("id")
        .annotate(latest=Max("history_id"))
        .values_list("id", "latest")
    )


class MergesMeanwhile(forms.ModelForm):
    """The form of a recorded object (simple-history), which merges what was recorded after
    its page was opened (an import, another person, another tab), instead of writing back
    every field with the values of that moment:
    - a field changed meanwhile that this page left as it was keeps the stored value;
    - a field changed on both sides is refused once, naming who changed it and when; the form
      is shown again with what was typed, and the stored values where it typed nothing; saved
      again, it keeps both.
    The page carries the latest record in ``opened_at``; the save compares with the records
    since. (The project page reads the project under its lock: ``ProjectAdmin.get_object``.)"""

    opened_at = OpenedAt(required=False)
    #: The formset whose management form carries the row's latest record, where the form is a
    #: row of an inline (``StoredOnceFormSet``): one hidden input for the rows, not one each.
    opened_in: StoredOnceFormSet | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk is not None and "opened_at" not in self.initial:
            model = self._meta.model
            self.initial["opened_at"] = latest_records(model, [self.instance.pk]).get(
                self.instance.pk
            )

    def clean(self):
        cleaned = super().clean()
        self._merge_meanwhile(cleaned)
        return cleaned

    def _merge_meanwhile(self, cleaned: dict) -> None:
        seen = cleaned.get("opened_at")
        if seen is None and self.opened_in is not None and self.instance.pk is not None:
            seen = self.opened_in.posted_records.get(str(self.instance.pk))
        if self.instance.pk is None or seen is None:
            return
        records = list(
            self._meta.model.history.filter(id=self.instance.pk, history_id__gte=seen).order_by(
                "history_id"
            )
        )
        if len(records) < 2 or records[0].history_id != seen:
            return  # nothing recorded since (or no record of this object: nothing to merge)
        opened, latest = records[0], records[-1]
        both, theirs = [], []
        for name in self.fields:
            field = self._model_field(name)
            if field is None or name not in cleaned or self.fields[name].disabled:
                continue
            was = getattr(opened, field.attname)
            if getattr(latest, field.attname) == was:
                continue  # not changed meanwhile
            posted = cleaned[name]
            if (posted.pk if isinstance(posted, models.Model) else posted) == was:
                cleaned[name] = getattr(self.instance, name)  # left as it was: theirs stays
                theirs.append(name)
                if name in self.changed_data:
                    self.changed_data.remove(name)
            else:
                both.append(str(field.verbose_name))
        if both:
            self.data = self.data.copy()
            if "opened_at" in self.fields:
                self.data[self.add_prefix("opened_at")] = latest.history_id
            if self.opened_in is not None:  # (the page's data here as it is drawn again)
                for key, value in self.opened_in.seen(self.instance.pk, latest.history_id).items():
                    self.data[key] = value
            for name in theirs:
                self._show_stored(name)
            self.add_error(
                None,
                _(
                    "After this page was opened, %(who)s changed %(fields)s too (%(when)s). "
                    "The page shows what you entered: save again to keep it, or open the page "
                    "again to see theirs."
                )
                % {
                    "who": latest.history_user or latest.history_change_reason or "—",
                    "fields": "、".join(both),
                    "when": local_time(latest.history_date),
                },
            )

    def _model_field(self, name: str) -> models.Field | None:
        try:
            field = self._meta.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        return field if field.concrete and not field.many_to_many else None

    def _show_stored(self, name: str) -> None:
        """The form shown again with the stored value of ``name`` where the person typed."""
        field, key = self.fields[name], self.add_prefix(name)
        value = field.prepare_value(self[name].initial)
        if isinstance(field.widget, forms.CheckboxInput):  # (no form of ours has a multi-widget)
            if value:
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
        else:
            self.data[key] = "" if value is None else value


class RecordsManagementForm(ManagementForm):
    """Django's management form of a formset, with its rows' latest records ("id:record,…")."""

    RECORDS = forms.CharField(required=False, widget=forms.HiddenInput)


def _encoded(records: dict) -> str:
    return ",".join(f"{pk}:{record}" for pk, record in records.items() if record is not None)


def _decoded(text: str | None) -> dict[str, int]:
    """The rows' records as posted: row id (text, as posted) → record; anything else dropped."""
    records = {}
    for pair in (text or "").split(","):
        pk, _, record = pair.partition(":")
        if pk and record.isdigit():
            records[pk] = int(record)
    return records


class StoredOnceFormSet(PaginationInlineFormSet):
    """An inline's rows, drawn with their latest records where its form merges what was
    recorded meanwhile (``MergesMeanwhile``; one hidden input in the management form for all
    the rows: a hidden cell in every row cost the monthly tab 14–18 ms at 100,000 projects,
    ``benchmarks/README.md`` section 3c), and checked against the rows stored for the
    same object where a unique constraint names it (a project's milestone per stage, its
    month's figures, its task node by name, its need of a factor). Django checks the rows
    posted together, but leaves the stored ones to the database when the constraint names
    the inline's own key: a row saved after the page was opened (an import, another tab) met
    the insert with a server error. Such a row is refused on the form, at its field.
    Checked: constraints of the object and one other field, unconditional (the project
    page's). Over unfold's formset, as its inlines have."""

    #: Whether the rows carry their latest records: set by the inline for those who may
    #: change the rows (a reader's page carries none).
    carries_records = False

    @property
    def _merges(self) -> bool:
        return self.carries_records and issubclass(self.form, MergesMeanwhile)

    @cached_property
    def management_form(self):
        """Django's, with the rows' latest records where the rows merge (``RECORDS``)."""
        if not self._merges:
            return super().management_form
        if self.is_bound:
            form = RecordsManagementForm(
                self.data, auto_id=self.auto_id, prefix=self.prefix, renderer=self.renderer
            )
            form.full_clean()
            return form
        return RecordsManagementForm(
            auto_id=self.auto_id,
            prefix=self.prefix,
            initial={
                TOTAL_FORM_COUNT: self.total_form_count(),
                INITIAL_FORM_COUNT: self.initial_form_count(),
                MIN_NUM_FORM_COUNT: self.min_num,
                MAX_NUM_FORM_COUNT: self.max_num,
                "RECORDS": _encoded(self._opened),
            },
            renderer=self.renderer,
        )

    @cached_property
    def posted_records(self) -> dict[str, int]:
        """Each posted row's latest record when its page was opened: row id → record."""
        if not self._merges or not self.is_bound:
            return {}
        return _decoded(self.management_form.cleaned_data.get("RECORDS"))

    def seen(self, pk, record: int) -> dict[str, str]:
        """A row refused for a change recorded meanwhile is drawn again with that record:
        saved again as shown, it is taken as seen. The management form's data as now drawn."""
        self.posted_records[str(pk)] = record
        form = self.management_form
        form.data = form.data.copy()
        form.data[form.add_prefix("RECORDS")] = _encoded(self.posted_records)
        return {form.add_prefix("RECORDS"): form.data[form.add_prefix("RECORDS")]}

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if isinstance(form, MergesMeanwhile):
            form.fields.pop("opened_at", None)  # the management form carries the records
            form.opened_in = self if self._merges else None

    def get_form_kwargs(self, index):
        """A row merging what was recorded meanwhile (``MergesMeanwhile``) is given its latest
        record, read for the rows of the page in one query: the form would read its own (a
        query per row), and the management form draws them all (``RECORDS``)."""
        kwargs = super().get_form_kwargs(index)
        merges = issubclass(self.form, MergesMeanwhile)
        if merges and not self.is_bound and index is not None:
            if index < self.initial_form_count():
                pk = self.get_queryset()[index].pk
                kwargs["initial"] = {**kwargs.get("initial", {}), "opened_at": self._opened[pk]}
        return kwargs

    @cached_property
    def _opened(self) -> dict:
        return latest_records(self.model, [row.pk for row in self.get_queryset()])

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        for constraint in self.model._meta.constraints:
            if (
                isinstance(constraint, models.UniqueConstraint)
                and self.fk.name in constraint.fields
                and constraint.condition is None
                and len(constraint.fields) == 2
            ):
                (field,) = (f for f in constraint.fields if f != self.fk.name)
                self._stored_once(field)

    def _stored_once(self, field: str) -> None:
        posted = {}
        attname = self.model._meta.get_field(field).attname
        for form in self.forms:
            # the instance's value: as the model's clean left it (a month as its first day)
            value = getattr(form.instance, attname, None)
            if form.has_changed() and value is not None and field not in form.errors:
                if not (self.can_delete and self._should_delete_form(form)):
                    posted[form] = value
        if not posted:
            return
        stored = dict(
            self.model._default_manager.filter(
                **{self.fk.name: self.instance, f"{field}__in": set(posted.values())}
            ).values_list(field, "pk")
        )
        for form, value in posted.items():
            if stored.get(value, form.instance.pk) != form.instance.pk:
                form.add_error(
                    field,
                    _(
                        "A row with this %(field)s was saved after this page was opened. "
                        "Open the page again to see it."
                    )
                    % {"field": self.model._meta.get_field(field).verbose_name},
                )


class TabularInline(unfold.TabularInline):
    """django-unfold's tabular inline without the title row above each row, which repeats the
    object's name where the columns already say it. Its rows are checked against the stored
    ones (``StoredOnceFormSet``), and merge what was recorded meanwhile where its form does
    (``MergesMeanwhile``)."""

    hide_title = True
    formset = StoredOnceFormSet

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Rows that merge what was recorded meanwhile carry their latest records, to those who
        # may change them (``StoredOnceFormSet``).
        formset.carries_records = issubclass(self.form, MergesMeanwhile) and bool(
            self.has_change_permission(request, obj)
        )
        # unfold's inline template asks each row's form for its nested formsets (a feature we
        # do not use) in every cell: a name the form lacks cost Django's template a dir() of
        # the form each time (231 on a case file's items, issue 21). The form class is the
        # formset's own (made per call), so this marks none but it.
        if not hasattr(formset.form, "nested_formsets"):
            formset.form.nested_formsets = ()
        return formset


def key_holds(key: models.Field, raw) -> bool:
    """Whether ``raw`` is a value the key column can hold: 10,000 digits are no number, and 31
    digits a number no 64-bit column holds (SQLite raised OverflowError reading it back)."""
    try:
        value = key.to_python(raw)
        key.run_validators(value)  # an integer key's range, as the database states it
        key.get_prep_value(value)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return value is not None


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up again when a refused form is
    drawn once more, and an add page's ``?project=`` when it is drawn first; a value that is no
    key (10,000 digits, or 31) then raised, a 500. Values the related key cannot hold are
    dropped before that lookup: the field error says why."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        key = remote.model._meta.get_field(getattr(remote, "field_name", None) or "pk")
        return super().optgroups(name, [raw for raw in value if key_holds(key, raw)], attr)


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field looks the chosen keys up with ``IN (…)``, which a 31-digit key overflowed
    on SQLite (a 500): a value the key cannot hold is an invalid choice, as any unknown one."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        key = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for raw in value:
            if not key_holds(key, raw):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": raw},
                )
        return super()._check_values(value)


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
        if value is None or value == "" or (isinstance(value, DeletedObject) and value.pk is None):
            # No person before (a foreign key that was empty): not "Deleted 用户 (pk=None)".
            return "—"
        if isinstance(value, DeletedObject):
            return gettext("%(thing)s %(pk)s (deleted)") % {
                "thing": capfirst(value.model._meta.verbose_name),
                "pk": value.pk,
            }
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
    # Sorted by when, by whom and by the subject; the states and the comment are filtered or
    # searched instead (no index of theirs at a million records, issue 21).
    sortable_by = ("at_local", "subject", "by")
    list_filter = ("target", TransitionFilter, ("at", DateRangeFilter))
    list_filter_submit = True  # unfold: the days are typed, then applied
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
