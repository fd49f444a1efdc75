"""The evidence form a transition asks for, built from the transition's declared evidence."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.core.dates import validate_entered_date, validate_not_future
from approvals.core.display import sentences

#: Dates of things that happened: not in the future, and within the dates accepted at all.
_HAPPENED = {"validators": [validate_not_future]}


def _evidence_fields() -> dict[str, forms.Field]:
    return {
        "agreement_date": forms.DateField(label=_("Agreement date"), **_HAPPENED),
        "start_date": forms.DateField(label=_("Actual start date"), **_HAPPENED),
        "production_date": forms.DateField(label=_("Actual production date"), **_HAPPENED),
        "capacity_date": forms.DateField(label=_("Date design capacity was reached"), **_HAPPENED),
        "actual_annual_output": forms.DecimalField(
            label=_("Actual annual output (10k yuan)"), max_digits=14, decimal_places=2, min_value=0
        ),
        "reason": forms.CharField(
            label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
        ),
        "accepted_on": forms.DateField(label=_("Acceptance date"), **_HAPPENED),
        "is_provisional": forms.BooleanField(
            label=_("Accepted with documents missing (容缺受理)"), required=False
        ),
        "supplement_due": forms.DateField(
            label=_("Missing documents due"), required=False, validators=[validate_entered_date]
        ),
        "approved_on": forms.DateField(label=_("Approval date"), **_HAPPENED),
        "document_number": forms.CharField(label=_("Document number"), max_length=100),
    }


def form_errors(form: forms.Form) -> str:
    """A form's errors on one line, each with its field's label."""
    return sentences(
        f"{form.fields[name].label}: {' '.join(errors)}"
        if name in form.fields
        else " ".join(errors)
        for name, errors in form.errors.items()
    )


class TransitionForm(forms.Form):
    """Fields for one transition's evidence plus an optional comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, evidence: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        available = _evidence_fields()
        self.evidence = evidence
        self.fields = {**{name: available[name] for name in evidence}, **self.fields}
        for form_field in self.fields.values():
            if isinstance(form_field, forms.DateField):
                form_field.widget = forms.DateInput(attrs={"type": "date"})

    @property
    def evidence_labels(self) -> list[str]:
        """What the change needs to be written down, by the names the form shows."""
        return [str(self.fields[name].label) for name in self.evidence]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_provisional") and not cleaned.get("supplement_due"):
            self.add_error("supplement_due", _("Give the date the missing documents are due."))
        return cleaned


class RequestForm(TransitionForm):
    """A stage request as an officer fills it: the change's evidence, the comment, and the
    reason its documents are missing (容缺), which lets a request go without the documents the
    change needs (``workflow.request_transition`` holds that rule). The page leaves the reason
    out where the change needs no document (``ask_reason``)."""

    documents_missing_reason = forms.CharField(
        label=_("Reason documents are missing (容缺)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the documents cannot be attached now: the supervisor reads it."),
    )

    def __init__(self, *args, ask_reason: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_reason:
            del self.fields["documents_missing_reason"]

    #: Fields of the request itself, not evidence of the change.
    REQUEST_FIELDS = ("comment", "documents_missing_reason")

    @property
    def evidence_data(self) -> dict:
        """The cleaned evidence alone, as the change's transition takes it."""
        return {k: v for k, v in self.cleaned_data.items() if k not in self.REQUEST_FIELDS}
