"""Password rules of our own, listed in ``settings.AUTH_PASSWORD_VALIDATORS`` beside Django's:
every place that sets a password (the change page, the admin's forms, ``changepassword``)
asks them, and every saved password tells them (``password_changed``). And the rule of user
names that cannot pass for another (:func:`validate_username`), asked by the account forms
(``approvals.admin.zones``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext

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
    a command) — and ``accounts.security`` sends the owner of an older one to change it."""

    def __init__(self, days: int = 90) -> None:
        if days < 0:
            raise ValueError("days must be 0 (no maximum age) or more")
        self.days = days

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            from accounts.security import record_password_change

            record_password_change(user)

    def get_help_text(self) -> str:
        if not self.days:
            return ""
        return ngettext(
            "You will be asked to change it after %(days)d day.",
            "You will be asked to change it after %(days)d days.",
            self.days,
        ) % {"days": self.days}


def _folded(text: str) -> str:
    """NFKC, case-folded, letters and digits only: "Ａ.l-i_c E" reads "alice"."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


class NotTheUserNameValidator:
    """No password made of the user name: one that holds it in any case, backwards, spelled
    between symbols or in full-width letters ("Alice@Desk-2026", "Ecila#2026", "A.l.i.c.e-1").
    Django's ``UserAttributeSimilarityValidator`` compares the whole password with the name, so
    a longer password that holds the name passes it. A name of one or two letters ("li") is
    found inside many words: such a name refuses a password that is nothing but it, repeated,
    with digits and symbols."""

    def validate(self, password: str, user=None) -> None:
        name = _folded(user.get_username() or "") if user is not None else ""
        if not name:
            return
        folded = _folded(password)
        if len(name) >= 3:
            made_of_it = name in folded or name[::-1] in folded
        else:
            rest = folded.replace(name, "").replace(name[::-1], "")
            made_of_it = rest != folded and (not rest or rest.isdigit())
        if made_of_it:
            raise ValidationError(self.get_help_text(), code="password_has_user_name")

    def get_help_text(self) -> str:
        return gettext(
            "Your password may not contain your user name, in any case, forwards or backwards."
        )


# --- user names --------------------------------------------------------------------------------

#: Besides letters and the digits 0–9, what Django's user name validator allows.
USERNAME_SIGNS = frozenset("@.+-_")
#: Scripts that may share one name (the "highly restrictive" level of Unicode's UTS #39): Latin
#: with Han and the Japanese kana, with Han and Bopomofo, or with Han and Hangul — none of them
#: has letters that pass for another's. Any other mixture (Latin with Cyrillic or Greek) is how
#: a look-alike of an existing name is made.
MIXABLE_SCRIPTS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
#: Letters read as others, mapped before case folding (after it "I" and "l" would part): the
#: Cyrillic, Greek and Armenian letters drawn like Latin ones, and Latin's own 1/l/I and 0/O.
#: A subset of Unicode's confusables.txt, for the scripts a name here can hold alone.
_LOOK_ALIKE = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "ӏ": "l",
        "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "у": "y", "ү": "y",
        "х": "x", "с": "c", "ԁ": "d", "ԝ": "w", "ь": "b", "п": "n", "м": "m", "н": "h",
        "А": "A", "В": "B", "Е": "E", "Һ": "H", "І": "l", "Ј": "J", "К": "K", "Ӏ": "l",
        "М": "M", "Н": "H", "О": "O", "Р": "P", "Ԛ": "Q", "Ѕ": "S", "Т": "T", "У": "Y",
        "Ү": "Y", "Х": "X", "С": "C", "Ԁ": "D", "Ԝ": "W", "Ь": "b", "З": "3",
        # Greek
        "α": "a", "β": "b", "γ": "y", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
        "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
        "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "l", "Κ": "K", "Μ": "M",
        "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
        # Armenian
        "օ": "o", "ո": "n", "ս": "u", "հ": "h", "ց": "g", "զ": "q",
        # Latin's own
        "ı": "i", "ɩ": "i", "ɡ": "g", "ɑ": "a", "I": "l", "1": "l", "0": "O",
    }
)  # fmt: skip
#: Runs of letters read as one (confusables.txt): "rn" passes for "m".
_LOOK_ALIKE_RUNS = (("rn", "m"), ("vv", "w"), ("cl", "d"))


def skeleton(name: str) -> str:
    """What ``name`` looks like: two names with one skeleton are mistaken for each other.
    Compatibility forms folded (full-width, ligatures), accents dropped, look-alike letters
    and runs read as the Latin ones they pass for, case folded."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(_LOOK_ALIKE).casefold()
    for run, one in _LOOK_ALIKE_RUNS:
        text = text.replace(run, one)
    return text


def script(char: str) -> str:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER O": Cyrillic)."""
    name = unicodedata.name(char, "")
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return "HAN"
    return name.split(" ", 1)[0]


def validate_username(username: str, *, others: Iterable[str]) -> str:
    """``username`` as it is stored (NFKC: full-width letters become plain ones), or a
    ValidationError when it is a look-alike: a character that is no letter, ASCII digit or one
    of ``@ . + - _``; letters of scripts that do not mix; or the skeleton of one of ``others``
    (the names of the other accounts)."""
    name = unicodedata.normalize("NFKC", username)
    if any(not (c.isalpha() or c in "0123456789" or c in USERNAME_SIGNS) for c in name):
        raise ValidationError(
            gettext("A user name may contain only letters, the digits 0-9 and @ . + - _."),
            code="username_characters",
        )
    scripts = {script(c) for c in name if c.isalpha()}
    if len(scripts) > 1 and not any(scripts <= mixable for mixable in MIXABLE_SCRIPTS):
        raise ValidationError(
            gettext(
                "A user name may not mix letters of different scripts (such as a Cyrillic "
                "“о” among Latin letters): such a name passes for another."
            ),
            code="username_mixed_scripts",
        )
    looks = skeleton(name)
    for other in others:
        if skeleton(other) == looks:
            raise ValidationError(
                gettext(
                    "This user name looks like the existing user name “%(name)s”: choose one "
                    "that cannot be mistaken for it."
                ),
                code="username_look_alike",
                params={"name": other},
            )
    return name
