"""The tabs of a project's page (guide section 12: a case file that fits). The page was 7,300 px
of one column; now its header (colour, stage timeline, what holds up the next step, the request
awaiting decision) stays above seven tabs, and every fieldset and inline of the form is in
exactly one of them. On a GET only the open tab's inlines are drawn; the others' come when
their tab is first opened (``loaded_later``).

Why not django-unfold's own tabs as they come: its inline tabs give each inline a tab of its own
beside a "General" tab of every fieldset, and its fieldset tabs live inside that "General" tab.
Our tabs group two inlines (milestones and task nodes), a fieldset with an inline (the progress
text with the monthly figures) and panels that are not part of the form (the stage requests, the
checklist's generation, the problems). So the tabs are drawn with unfold's tab bar and switched
by Alpine.js like unfold's (a ``caseTab`` beside unfold's ``activeTab``, which stays "general" so
that unfold's own ``x-show`` of each fieldset and inline keeps them shown inside their tab)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class CaseTab:
    """One tab: its key (the panel's id, ``case-tab-<key>``, and the Alpine state's value), its
    label, the names of the form's fieldsets it shows (``None``: the unnamed first one) and the
    models of the inlines it shows."""

    key: str
    label: str | Promise
    fieldsets: tuple[str | Promise | None, ...] = ()
    inline_models: tuple[str, ...] = ()


#: The seven tabs, in the order the issue names them. Fieldsets by their (lazy) names, inlines
#: by their model's name: ``ProjectAdmin`` keeps its own lists, this says where each goes.
CASE_TABS = (
    CaseTab(
        "overview",
        _("Overview"),
        fieldsets=(None,),
    ),
    CaseTab("items", _("Approval items"), inline_models=("approvalitem",)),
    CaseTab("plans", _("Milestones and plans"), inline_models=("milestone", "tasknode")),
    CaseTab(
        "monthly",
        _("Monthly dispatch"),
        fieldsets=(_("Progress"),),
        inline_models=("monthlyprogress",),
    ),
    CaseTab("factors", _("Factor support"), inline_models=("factorneed",)),
    CaseTab("problems", _("Problems and services")),
    CaseTab("records", _("Records"), inline_models=("stagechange",)),
)


@dataclass
class TabContent:
    """A tab as the page draws it: the fieldsets and inline formsets of this request's form
    that belong to it, whether it opens first, and how many errors its form parts carry."""

    tab: CaseTab
    fieldsets: list = field(default_factory=list)
    inlines: list = field(default_factory=list)
    active: bool = False
    errors: int = 0
    #: its inlines fetched when the tab is first opened (``loaded_later``)
    lazy: bool = False

    @property
    def key(self) -> str:
        return self.tab.key

    @property
    def label(self) -> str:
        return str(self.tab.label)


class UnplacedPart(LookupError):
    """A fieldset or inline no tab names: it would vanish from the page."""


def case_tabs(adminform, inline_admin_formsets, tabs=CASE_TABS) -> list[TabContent]:
    """The tabs with this request's fieldsets and inlines in them. Every part goes in exactly
    one tab (an unplaced one raises: a new fieldset or inline must be given a tab, not lost);
    a tab opens first if its form parts have errors (the first such), else the first tab."""
    by_fieldset = {str(name) if name else None: t for t in tabs for name in t.fieldsets}
    by_model = {model: t for t in tabs for model in t.inline_models}
    contents = {t.key: TabContent(t) for t in tabs}
    for fieldset in adminform:
        tab = by_fieldset.get(str(fieldset.name) if fieldset.name else None)
        if tab is None:
            raise UnplacedPart(f"fieldset {fieldset.name!r} is in no tab of the project page")
        content = contents[tab.key]
        content.fieldsets.append(fieldset)
        content.errors += sum(
            1
            for entry in fieldset.fields
            for name in _names(entry)
            if adminform.form.errors.get(name)
        )
    for inline in inline_admin_formsets:
        tab = by_model.get(inline.opts.opts.model_name)
        if tab is None:
            raise UnplacedPart(
                f"inline {inline.opts.opts.model_name!r} is in no tab of the project page"
            )
        content = contents[tab.key]
        content.inlines.append(inline)
        content.errors += sum(len(errors) for errors in inline.formset.errors if errors) + len(
            inline.formset.non_form_errors()
        )
    result = list(contents.values())
    (next((c for c in result if c.errors), None) or result[0]).active = True
    return result


def loaded_later(tabs: list[TabContent]) -> None:
    """On a GET, the inlines of every tab but the open one come when the tab is first opened
    (the page's ``?case_tab=<key>``, the change view itself, so scoped like it): a 21-item
    project's page was 810–899 kB with 466 widgets, 290–340 ms rendering them at 100,000
    projects. The page keeps each such formset's management form with no rows (0 forms, 0
    initial), so a save before the tab was opened leaves its rows as they are."""
    for tab in tabs:
        tab.lazy = bool(tab.inlines) and not tab.active


def _names(entry) -> tuple[str, ...]:
    """A fieldset's entry is a field's name or a row of names."""
    return (entry,) if isinstance(entry, str) else tuple(entry)
