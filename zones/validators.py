"""Password rules of our own, listed in ``settings.AUTH_PASSWORD_VALIDATORS`` beside Django's:
every place that sets a password (the change page, the admin's forms, ``changepassword``)
asks them, and every saved password tells them (``password_changed``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

CLASSES = (
    ("upper", str.isupper),
    ("lower", str.islower),
    ("digit", str.isdigit),
    # Anything else printable: punctuation, spaces, full-width signs (，。！).
    ("symbol", lambda c: not c.isalnum()),
)


def character_classes(password: str) -> set[str]:
    """Which of upper case, lower case, digits and symbols ``password`` uses. Letters with no
    case (汉字) count as none of them."""
    return {name for name, test in CLASSES if any(test(c) for c in password)}


class CharacterClassesValidator:
    """At least ``min_classes`` of the four classes of characters."""

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= len(CLASSES):
            raise ValueError(f"min_classes must be between 1 and {len(CLASSES)}")
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(count)d kind of characters: upper-case "
            "letters, lower-case letters, digits and symbols (such as ! # - _ @).",
            "Your password must mix at least %(count)d kinds of characters: upper-case "
            "letters, lower-case letters, digits and symbols (such as ! # - _ @).",
            self.min_classes,
        ) % {"count": self.min_classes}


class MaximumAgeValidator:
    """A password lives ``days`` days (0: for ever). It refuses nothing: a new password is
    young. It records when each password is set — Django tells every validator from
    ``User.save()`` after ``set_password()``, whoever sets it (the person, an administrator,
    a command) — and ``zones.security`` sends the owner of an older one to change it."""

    def __init__(self, days: int = 90) -> None:
        if days < 0:
            raise ValueError("days must be 0 (no maximum age) or more")
        self.days = days

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            from .security import record_password_change

            record_password_change(user)

    def get_help_text(self) -> str:
        if not self.days:
            return ""
        return ngettext(
            "You will be asked to change it after %(days)d day.",
            "You will be asked to change it after %(days)d days.",
            self.days,
        ) % {"days": self.days}
