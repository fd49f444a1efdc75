"""Errors as JSON, in Chinese: ``{"detail": "…", "errors": [{"field": "…", "reason": "…"}]}``,
each field named as in the schema (``"non_field_errors"`` for the whole input)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler


def _flatten(detail, field: str = "") -> list[dict[str, str]]:
    if isinstance(detail, dict):
        out = []
        for name, value in detail.items():
            out += _flatten(value, f"{field}.{name}" if field else str(name))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            inner = f"{field}[{index}]" if isinstance(value, dict) else field
            out += _flatten(value, inner)
        return out
    return [{"field": field, "reason": str(detail)}]


def handle(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = {"detail": str(data["detail"]), "errors": []}
    else:
        errors = _flatten(data)
        summary = _("The request is not valid.") if isinstance(exc, ValidationError) else ""
        response.data = {
            "detail": summary or (errors[0]["reason"] if errors else ""),
            "errors": errors,
        }
    return response
