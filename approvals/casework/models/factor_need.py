"""Factor needs (要素保障): what a project needs of land, energy, water, funds and environmental
capacity, each requested and secured. Projects of 10亿元 (100,000 万元) or more form the white
list (要素保障白名单), an admin list of their needs and what is still missing."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from approvals.access import permissions
from approvals.cases.models.project import Project

NOT_NEGATIVE = MinValueValidator(Decimal("0"))
#: The white list's threshold: 10亿元 in 万元, the unit investments are stored in.
WHITE_LIST_INVESTMENT = Decimal("100000")


class Factor(models.TextChoices):
    LAND = "land", _("Land (mu)")
    ENERGY = "energy", _("Energy (tce per year)")
    ELECTRICITY = "electricity", _("Electricity (10k kWh per year)")
    WATER = "water", _("Water (m³ per year)")
    FUNDS = "funds", _("Funds (10k yuan)")
    ENVIRONMENT = "environment", _("Environmental capacity (t per year)")


class FactorNeedQuerySet(models.QuerySet["FactorNeed"]):
    def visible_to(self, user) -> FactorNeedQuerySet:
        return permissions.scope(self, user, permissions.VIEW, "project__")


class FactorNeed(models.Model):
    project = models.ForeignKey(
        "approvals.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="factor_needs",
    )
    factor = models.CharField(_("factor"), max_length=20, choices=Factor.choices)
    requested = models.DecimalField(
        _("requested"), max_digits=14, decimal_places=2, validators=[NOT_NEGATIVE]
    )
    secured = models.DecimalField(
        _("secured"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[NOT_NEGATIVE],
    )
    notes = models.CharField(
        _("notes"),
        max_length=200,
        blank=True,
        help_text=_("e.g. the pollutants, the source of funds"),
    )

    objects = FactorNeedQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("factor need")
        verbose_name_plural = _("factor needs (要素保障)")
        ordering = ["project_id", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["project", "factor"], name="factor_need_once"),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_factor_display()}"

    @property
    def missing(self) -> Decimal:
        """What is still to be secured (nothing when more was secured than asked)."""
        return max((self.requested or Decimal("0")) - (self.secured or Decimal("0")), Decimal("0"))

    def clean(self) -> None:
        super().clean()
        if (
            self.requested is not None
            and self.secured is not None
            and self.secured > self.requested
        ):
            raise ValidationError({"secured": _("More secured than requested.")})


class WhiteListQuerySet(models.QuerySet):
    def visible_to(self, user):
        return permissions.scope(self, user, permissions.VIEW)


class WhiteListManager(models.Manager):
    def get_queryset(self):
        return WhiteListQuerySet(self.model, using=self._db).filter(
            total_investment__gte=WHITE_LIST_INVESTMENT
        )


class WhiteListProject(Project):
    """The white list (要素保障白名单): projects of 10亿元 or more, with their factor needs."""

    objects = WhiteListManager()

    class Meta:
        proxy = True
        verbose_name = _("white-list project")
        verbose_name_plural = _("white list (要素保障白名单)")
