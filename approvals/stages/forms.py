"""The evidence form a transition asks for, built from the transition's declared evidence."""

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.core.dates import validate_entered_date, validate_not_future

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
    return "；".join(
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
