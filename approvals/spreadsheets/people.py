"""The people and enterprises a spreadsheet names, and how their stored ids read back."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from approvals.access import permissions
from approvals.spreadsheets import cells
from zones.models import Enterprise


class People:
    """Officers and leaders of every zone, found by any name they go by (display name, family
    + given name, login), and the names of the people and enterprises the stored projects point
    at: a handful of queries, however many rows. Who may fill each column is the forms' rule
    (``permissions.people_roles``): a departed (inactive) person named in a list is like an
    unknown name, a warning and nobody assigned (guide section 12)."""

    def __init__(self) -> None:
        self.by_name: dict[tuple[int, str, str], set[int]] = defaultdict(set)
        self.names: dict[int, str] = {}
        self.enterprises: dict[int, str] = {}
        for kind in permissions.PEOPLE_ROLES:
            for held in permissions.people_roles(kind).select_related("user"):
                user = held.user
                self.names[user.pk] = str(user)
                for name in self._names_of(user):
                    self.by_name[(held.zone_id, kind, cells.name_key(name))].add(user.pk)

    def remember(self, projects: list[dict]) -> None:
        """Names of the people and enterprises these stored projects point at."""
        referenced = {p["officer_id"] for p in projects} | {p["leader_id"] for p in projects}
        missing = referenced - set(self.names) - {None}
        for user in get_user_model().objects.filter(pk__in=missing):
            self.names[user.pk] = str(user)
        wanted = {p["enterprise_id"] for p in projects} - set(self.enterprises) - {None}
        self.enterprises.update(Enterprise.objects.filter(pk__in=wanted).values_list("pk", "name"))

    @staticmethod
    def _names_of(user) -> set[str]:
        return {
            n
            for n in (
                user.get_full_name(),
                user.first_name,
                f"{user.last_name}{user.first_name}",
                user.username,
            )
            if n
        }

    def find(self, zone, kind: str, name: str) -> tuple[int | None, str]:
        """(the user, or None and why not)."""
        found = self.by_name.get((zone.pk, kind, cells.name_key(name)), set())
        if len(found) == 1:
            return next(iter(found)), ""
        if not found:
            return None, _("Nobody called “%(name)s” holds that role in %(zone)s: left empty.") % {
                "name": name,
                "zone": zone,
            }
        return None, _("Several people are called “%(name)s” in %(zone)s: left empty.") % {
            "name": name,
            "zone": zone,
        }

    def shown(self, attribute: str, value: Any) -> str:
        """A fact as a person reads it in the preview."""
        if value in (None, ""):
            return "—"
        if isinstance(value, Enterprise):
            return value.name
        if attribute == "enterprise_id":
            return self.enterprises.get(value, str(value))
        if attribute in ("officer_id", "leader_id"):
            return self.names.get(value, str(value))
        if isinstance(value, Decimal):
            return _("%(amount)s (10k yuan)") % {"amount": f"{value.normalize():f}"}
        return str(value)
