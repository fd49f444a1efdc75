"""The investor's one form: a request for help (诉求) about one of the enterprise's projects."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.models import ProblemCategory

#: The longest request accepted (a few paragraphs; the officer calls back for the rest).
TEXT_MAX = 1000


class HelpRequestForm(forms.Form):
    project = forms.TypedChoiceField(label=_("Project"), coerce=int)
    category = forms.ChoiceField(
        label=_("About"), choices=ProblemCategory.choices, initial=ProblemCategory.OTHER
    )
    text = forms.CharField(
        label=_("What do you need help with?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what you need help with.")},
    )

    def __init__(self, *args, projects: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = projects
        if len(projects) == 1:
            self.fields["project"].initial = projects[0][0]
