"""The national project code (项目代码): ``dddd-dddddd-dd-dd-dddddd``.

Codes issued since late 2020 start with the YYMM of issue (``2509-…``); older ones with a
four-digit year (``2019-…``). The guide defines no check digit, so none is checked.
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

#: ASCII digits only: ``\d`` takes any script's digits, and "٢٥٠٩-…" was stored as typed (issue
#: 17). The national platform issues codes in ASCII digits and Chinese input methods write them
#: so or full width, which ``normalise_project_code`` folds; any other script's digits are not
#: how a code is written here, and folding them by value would store a code the person did not
#: see (Bengali ৪ is 4 and looks like 8), so they are refused with the expected shape.
CODE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{6}-[0-9]{2}-[0-9]{2}-[0-9]{6}")
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−﹣"})


class CodeGeneration(models.TextChoices):
    NEW = "new", _("New format (YYMM of issue)")
    OLD = "old", _("Old format (year of issue)")


def normalise_project_code(value: str | None) -> str:
    """Full-width digits and dashes, and stray spaces, are common in pasted codes."""
    folded = unicodedata.normalize("NFKC", value or "").translate(_DASHES)
    return "".join(folded.split())


#: The form of a code in words, with an example (domain guide, section 7), for every message
#: that refuses one: people read "2509-140602-89-05-864976", not a pattern of d's.
NOT_A_CODE = _(
    "“%(value)s” is not a project code: write it like 2509-140602-89-05-864976 (24 "
    "characters: the 4 digits of the year and month of issue, or of the year for older codes, "
    "the 6-digit area code, 2 digits, 2 digits and a 6-digit serial number, joined by dashes)."
)


def validate_project_code(value: str) -> None:
    if not CODE_PATTERN.fullmatch(value or ""):
        raise ValidationError(NOT_A_CODE, code="invalid_project_code", params={"value": value})


def code_generation(code: str) -> CodeGeneration:
    """Characters 3–4 between 01 and 12 are the month of a new-format code."""
    validate_project_code(code)
    month = int(code[2:4])
    return CodeGeneration.NEW if 1 <= month <= 12 else CodeGeneration.OLD


def is_project_code(value: str | None) -> bool:
    return bool(value) and CODE_PATTERN.fullmatch(value) is not None


class ProjectCodeFormField(forms.CharField):
    """Normalises before validating, so that a pasted full-width code is accepted as written."""

    def to_python(self, value):
        return normalise_project_code(super().to_python(value)) or None


class ProjectCodeField(models.CharField):
    """The code as stored: normalised, validated, and NULL (not "") until it is issued."""

    default_validators = [validate_project_code]

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_project_code(value) or None if value is not None else None

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": ProjectCodeFormField, **kwargs})
