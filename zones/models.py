"""Zones (开发区), the people's roles in them, and the investor companies."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models.lookups import IContains, Lookup
from django.utils.translation import gettext_lazy as _


def normalise_name(value: str) -> str:
    """Fold full-width characters and drop all white space: spreadsheets mix both freely."""
    folded = unicodedata.normalize("NFKC", value or "")
    return "".join(folded.split())


class NameKeyField(models.CharField):
    """A name as matched (``normalise_name``): a project's, an enterprise's. Searched with the
    ``matches`` lookup."""


@NameKeyField.register_lookup
class Matches(Lookup):
    """``name_key__matches=word``: the word folded as the names were (``normalise_name``), then
    contained, case aside, so that "(一期)" finds "（一期）" and "大恒 能源" finds "大恒能源": what
    the admin's searches, its autocompletes and the API ask of a name. The SQL is icontains'
    (``UPPER(name_key::text) LIKE UPPER('%…%')``), the expression of the trigram indexes that
    serve it on PostgreSQL (migration ``approvals.0047``)."""

    lookup_name = "matches"

    def get_prep_lookup(self):
        value = super().get_prep_lookup()
        return normalise_name(value) if isinstance(value, str) else value

    def as_sql(self, compiler, connection):
        # the backends know their operators by the built-in lookups' names
        return IContains(self.lhs, self.rhs).as_sql(compiler, connection)


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    LEADER = "leader", _("Leader")
    STATISTICIAN = "statistician", _("Statistician")
    #: Held over a city (``CityRole``), never in one zone: a supervisor of every zone of the city.
    CITY_SUPERVISOR = "city_supervisor", _("City supervisor")
    #: A client system's roles (a city's or the province's platform, api/): held in the zones
    #: of its token's scope by the client's own account, never given to a person by hand.
    PLATFORM_READ = "platform_read", _("Platform (read only)")
    PLATFORM_WRITE = "platform_write", _("Platform (read and write)")


#: The roles held in one zone (``ZoneRole``); the city's are held over every zone of a city.
ZONE_ROLE_CHOICES = [(r.value, r.label) for r in Role if r is not Role.CITY_SUPERVISOR]
#: The roles of client systems (api/), kept by their clients: a person holds none of them.
PLATFORM_ROLES = (Role.PLATFORM_READ, Role.PLATFORM_WRITE)
#: The zone roles a person is given by hand (the people's pages offer only these).
PEOPLE_ZONE_ROLE_CHOICES = [(v, label) for v, label in ZONE_ROLE_CHOICES if v not in PLATFORM_ROLES]
CITY_ROLE_CHOICES = [(Role.CITY_SUPERVISOR.value, Role.CITY_SUPERVISOR.label)]


class ZoneQuerySet(models.QuerySet["Zone"]):
    def matching(self, name: str) -> Zone | None:
        """The zone whose official name or one of whose aliases is ``name``."""
        wanted = normalise_name(name)
        if not wanted:
            return None
        for zone in self:
            if wanted in zone.normalised_names():
                return zone
        return None


class Zone(models.Model):
    name = models.CharField(_("official name"), max_length=100, unique=True)
    aliases = models.TextField(
        _("aliases"),
        blank=True,
        help_text=_("Short names used in spreadsheets, one per line."),
    )
    city = models.CharField(_("city"), max_length=50, blank=True)
    lead_industries = models.CharField(
        _("lead industries"), max_length=200, blank=True, help_text=_("Separated by 、")
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["city", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def industries(self) -> list[str]:
        """Its lead industries, one by one (the field holds them separated by 、)."""
        return [industry for industry in self.lead_industries.split("、") if industry]

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    def normalised_names(self) -> set[str]:
        return {normalise_name(n) for n in [self.name, *self.alias_list()]}


class ZoneRoleQuerySet(models.QuerySet["ZoneRole"]):
    def zone_ids(self, user, *roles: str) -> set[int]:
        rows = self.filter(user=user)
        if roles:
            rows = rows.filter(role__in=roles)
        return set(rows.values_list("zone_id", flat=True))


class ZoneRole(models.Model):
    """A user's role in one zone; permissions follow from it (see ``zones.roles``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="zone_roles",
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=ZONE_ROLE_CHOICES)

    objects = ZoneRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("zone role")
        verbose_name_plural = _("zone roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "zone", "role"], name="zone_role_unique"),
            # A city role held in one zone would grant it there alone: it is a CityRole.
            models.CheckConstraint(
                condition=~models.Q(role=Role.CITY_SUPERVISOR), name="zone_role_is_no_city_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.zone} · {self.get_role_display()}"


class CityRole(models.Model):
    """A user's role over every zone of a city (``Zone.city``), those added later included: a
    city supervisor decides the requests of each of them (a zone with one supervisor still has
    somebody to decide its supervisor's own requests). What it may do is in ``zones.roles``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="city_roles",
    )
    city = models.CharField(_("city"), max_length=50)
    role = models.CharField(
        _("role"), max_length=20, choices=CITY_ROLE_CHOICES, default=Role.CITY_SUPERVISOR
    )

    class Meta:
        verbose_name = _("city role")
        verbose_name_plural = _("city roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "city", "role"], name="city_role_unique"),
            # A blank city would be the city of every zone whose city is not recorded.
            models.CheckConstraint(condition=~models.Q(city=""), name="city_role_names_a_city"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.city} · {self.get_role_display()}"


class Enterprise(models.Model):
    """The investor company (项目单位 / 建设单位)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_key = NameKeyField(
        _("name as matched"),
        max_length=200,
        editable=False,
        blank=True,
        # "" for a row written by code that does not know the column (the benchmarks' "before"
        # runs older code on this schema). No list finds such a row by its key, and one naming
        # it as written would meet its unique name: every writer of this code sets the key
        # (``save()``, the lists' inserts, the benchmarks' builders).
        db_default="",
        help_text=_(
            "The name without spaces, full-width characters folded: how lists and the form "
            "find an enterprise recorded already."
        ),
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_in_zone = models.ForeignKey(
        Zone,
        verbose_name=_("created in zone"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The zone whose officer added the enterprise: it keeps the details while the "
            "enterprise has no project."
        ),
    )

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        # Lists find a stored enterprise by it (a plain index: no prefix search on it).
        indexes = [models.Index(fields=["name_key"], name="enterprise_name_key")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def recorded_as(cls, name: str, *, other_than: int | None = None) -> Enterprise | None:
        """The enterprise recorded already that ``name`` means (the same key, ``name_key``):
        the first recorded, should two share it; none but ``other_than`` (one being edited)."""
        return (
            cls.objects.filter(name_key=normalise_name(name))
            .exclude(pk=other_than)
            .order_by("pk")
            .first()
        )

    def save(self, *args, **kwargs) -> None:
        self.name_key = normalise_name(self.name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)


class AdminRole(models.TextChoices):
    """The three administrators kept apart (三权分立, GB/T 22239-2019): none does another's job."""

    SYSTEM = "system", _("System administrator")
    SECURITY = "security", _("Security administrator")
    AUDIT = "audit", _("Audit administrator")


class Administrator(models.Model):
    """A user holding one of the three administrator roles (at most one of them). What each
    may do is decided in ``approvals.access.permissions``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="administrator",
    )
    role = models.CharField(_("administrator role"), max_length=20, choices=AdminRole.choices)

    class Meta:
        verbose_name = _("administrator")
        verbose_name_plural = _("administrators")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AccountSecurity(models.Model):
    """What the authentication controls keep per account: when the password was last set
    (maximum password age) and the one session it may hold (a new login ends the older)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="security",
    )
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    session_key = models.CharField(_("current session"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")

    def __str__(self) -> str:
        return str(self.user)
