"""Links to the admin's lists, filtered: the to-do list's and the dashboard's "see them"."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse


def changelist_url(model: str, **lookups) -> str:
    """The admin list of ``model`` ("app_label.model_name") filtered by ``lookups``: the list's
    own query parameters (field lookups such as ``zone__id__exact``, or a filter's parameter
    such as ``colour``). A lookup given None is left out; commas stay as they are (the admin's
    ``__in`` lists)."""
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name.lower()}_changelist")
    query = urlencode({k: v for k, v in lookups.items() if v is not None}, safe=",")
    return f"{url}?{query}" if query else url
