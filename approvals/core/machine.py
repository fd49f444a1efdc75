"""What the project and checklist state machines share: refusals, explained conditions, and
the record of every transition, written by ``save()`` together with the new state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import (
    ANY_OTHER_STATE,
    ANY_STATE,
    ConcurrentTransitionMixin,
    FSMFieldMixin,
    Transition,
)


class TransitionRefused(Exception):
    """A transition that may not happen now; the object is left as it was."""

    def __init__(self, reasons: Any):
        many = isinstance(reasons, list | tuple)
        self.reasons = [str(r) for r in (reasons if many else [reasons])]
        super().__init__("; ".join(self.reasons))


def condition(message: str | Callable[[Any], str]):
    """Mark a transition condition with the reason shown when it fails.

    ``message`` is a text, or a function of the object for reasons that name details
    (such as the approval items that still block the start of works).
    """

    def decorate(func):
        func.explain = message if callable(message) else (lambda obj: message)
        return func

    return decorate


class Record(models.Model):
    """Something that happened: who did it and when. Written once, never edited."""

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)  # indexed by (at, id) below

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]
        # The records' lists, newest first, read a page off this index (issue 21).
        indexes = [models.Index(fields=["at", "id"], name="%(class)s_at_id")]


class TransitionRecord(Record):
    """One transition: who, when, from, to, why."""

    transition = models.CharField(
        _("transition"), max_length=30, blank=True, help_text=_("Empty when the row was created.")
    )
    comment = models.TextField(_("comment"), blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta(Record.Meta):
        abstract = True


class RecordedMachine(ConcurrentTransitionMixin, models.Model):
    """A model whose protected state changes only by transitions, each one recorded.

    Transition bodies keep their effects in memory; ``save()`` writes the record rows after
    the state update succeeded (a refused or conflicting transition leaves no rows behind).
    Subclasses name the reverse relation of their record model.
    """

    transition_record_relation: str = ""

    class Meta:
        abstract = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending_records: list[dict[str, Any]] = []
        self._changed_by = None
        self._record_extra: dict[str, Any] = {}  # e.g. the stage request a change came from

    # --- what django-fsm declares, read through its public API --------------------------------

    @classmethod
    def state_field(cls) -> FSMFieldMixin:
        return next(f for f in cls._meta.fields if isinstance(f, FSMFieldMixin))

    @classmethod
    def transitions(cls) -> list[Transition]:
        """Every declared (source, transition) pair, in declaration order."""
        return list(cls.state_field().get_all_transitions(cls))

    @classmethod
    def transition_names(cls) -> list[str]:
        """Each transition a person may be offered, once, in the order the model declares them
        (a transition marked ``import`` is run by imports only)."""
        return list(dict.fromkeys(t.name for t in cls.transitions() if not t.custom.get("import")))

    @classmethod
    def transition_spec(cls, name: str) -> dict[str, Any]:
        """What a transition declares in ``custom``: its label and the evidence it needs."""
        spec = next((t.custom for t in cls.transitions() if t.name == name), None)
        if spec is None:
            raise ValueError(f"{name!r} is not a transition of {cls.__name__}")
        return spec

    @classmethod
    def transition_label(cls, name: str) -> str:
        if not name:
            return gettext("Created")
        try:
            return str(cls.transition_spec(name)["label"])
        except ValueError:
            return name

    @classmethod
    def transition_choices(cls) -> list[tuple[str, str]]:
        return [(name, cls.transition_label(name)) for name in cls.transition_names()]

    @classmethod
    def state_label(cls, value: str) -> str:
        return str(dict(cls.state_field().flatchoices).get(value, value))

    @property
    def state(self) -> str:
        return getattr(self, self.state_field().name)

    def current_transition(self, name: str) -> Transition | None:
        """The declaration of ``name`` that applies from the current state, as django-fsm
        picks it: the exact source first, then ``*``, then ``+``."""
        declared = {t.source: t for t in self.transitions() if t.name == name}
        if not declared:
            raise ValueError(f"{name!r} is not a transition of {type(self).__name__}")
        for source in (self.state, ANY_STATE, ANY_OTHER_STATE):
            if source in declared:
                return declared[source]
        return None

    def may_transition(self, user) -> bool:
        """Whether ``user`` may run this machine's transitions directly; each machine names its
        rule in ``approvals.access.permissions``, and a machine that names none allows nobody."""
        return False

    def clean_fields(self, exclude=None) -> None:
        # Django re-assigns every cleaned field; the protected state would refuse that, and
        # only transitions may set it anyway.
        super().clean_fields(exclude={*(exclude or ()), self.state_field().name})

    def queue_transition_record(
        self, *, transition: str, source: str, target: str, evidence: dict
    ) -> None:
        """Called on ``post_transition``; written by ``save()`` together with the new state."""
        evidence = dict(evidence)
        comment = evidence.pop("comment", "") or ""
        self._pending_records.append(
            {
                "transition": transition,
                "source": source,
                "target": target,
                "comment": comment,
                "evidence": evidence,
            }
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        records = getattr(self, self.transition_record_relation)
        if adding:
            state = getattr(self, self.state_field().name)
            records.create(transition="", source="", target=state, by=self._changed_by)
        for record in self._pending_records:
            records.create(by=self._changed_by, **record, **self._record_extra)
        self._pending_records = []
