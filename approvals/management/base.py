"""What every command of the desk shares: it speaks Chinese like the pages (guide section 12,
"Command line"), from its ``--help`` to its errors.

Django's commands run in ``LANGUAGE_CODE`` (zh-hans): our own messages are English source strings
translated in the zh_Hans catalogue like any page's. What is not ours is said here: argparse's
headings and errors (Python ships them in English only), the help of Django's common options
(``--verbosity``, ``--settings``, …) and the "CommandError:" before an error. A repeated option
that takes one value is refused (:class:`Once`) instead of argparse's silent "the last one wins":
``--batch A --batch B`` means both, or is an error, never B alone."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    SystemCheckError,
)
from django.core.management.base import DjangoHelpFormatter as _DjangoHelpFormatter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.cases.models.rounds import round_named

#: The help of the options Django gives every command, by destination.
COMMON_HELP = {
    "help": gettext_lazy("Show this help and exit."),
    "version": gettext_lazy("Show Django's version and exit."),
    "verbosity": gettext_lazy("How much to print: 0 little, 1 normal, 2 more, 3 everything."),
    "settings": gettext_lazy(
        "The settings module to use (else the DJANGO_SETTINGS_MODULE environment variable)."
    ),
    "pythonpath": gettext_lazy("A folder to add to Python's import path."),
    "traceback": gettext_lazy("Show the full traceback of an error."),
    "no_color": gettext_lazy("Print without colours."),
    "force_color": gettext_lazy("Print in colours even when not to a terminal."),
    "skip_checks": gettext_lazy("Skip the system checks."),
}

COMMON_METAVARS = {
    "settings": gettext_lazy("MODULE"),
    "pythonpath": gettext_lazy("FOLDER"),
}
_DJANGO_OPTIONS = {
    "--help",
    "--version",
    "--verbosity",
    "--settings",
    "--pythonpath",
    "--traceback",
    "--no-color",
    "--force-color",
    "--skip-checks",
}

#: argparse's own error messages (Python 3.11+), as patterns, and what each says in our words.
_ARGPARSE_ERRORS = [
    (r"the following arguments are required: (?P<names>.+)", gettext_lazy("missing: %(names)s")),
    (r"unrecognized arguments: (?P<names>.+)", gettext_lazy("unknown arguments: %(names)s")),
    (
        r"argument (?P<name>\S+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
        gettext_lazy("%(name)s: %(value)s is not one of %(choices)s"),
    ),
    (
        r"argument (?P<name>\S+): invalid (?P<type>\S+) value: (?P<value>.+)",
        gettext_lazy("%(name)s: %(value)s cannot be read"),
    ),
    (
        r"argument (?P<name>\S+): expected (at least )?one argument",
        gettext_lazy("%(name)s needs a value"),
    ),
    (
        r"argument (?P<name>\S+): not allowed with argument (?P<other>\S+)",
        gettext_lazy("%(name)s cannot be given with %(other)s"),
    ),
    (
        r"ambiguous option: (?P<name>\S+) could match (?P<choices>.+)",
        gettext_lazy("%(name)s is ambiguous: %(choices)s"),
    ),
    (r"argument (?P<name>\S+): (?P<message>.+)", gettext_lazy("%(name)s: %(message)s")),
]


def argparse_message(message: str) -> str:
    """argparse's English error, said in the command's language (unknown ones as they are)."""
    for pattern, words in _ARGPARSE_ERRORS:
        found = re.fullmatch(pattern, message)
        if found:
            return str(words) % {k: v for k, v in found.groupdict().items() if v is not None}
    return message


class HelpFormatter(_DjangoHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix=prefix or _("usage: "))

    def format_help(self):
        # argparse ends a section's heading with ":" (参数:), written "：" in Chinese.
        return re.sub(r"^(\S[^\n]*):\n", r"\1：\n", super().format_help(), flags=re.M)


class Parser(CommandParser):
    """Django's parser with argparse's errors in the command's language. Called from the
    command line it prints the usage and the error and exits 2, as argparse does."""

    def error(self, message):
        message = argparse_message(message)
        if self.called_from_command_line:
            self.print_usage(sys.stderr)
            self.exit(
                2,
                _("%(prog)s: error: %(message)s") % {"prog": self.prog, "message": message} + "\n",
            )
        raise CommandError(message)


class Once(argparse.Action):
    """An option of one value given once: given twice, the command refuses (argparse would keep
    the last and drop the first without a word)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, f"_{self.dest}_given", False):
            parser.error(
                _("%(option)s is given once (it takes one value).") % {"option": option_string}
            )
        setattr(namespace, f"_{self.dest}_given", True)
        setattr(namespace, self.dest, values)


class DeskCommand(BaseCommand):
    """The base of the desk's commands: Chinese help and errors (see the module)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = Parser  # the same parser, its errors in our words
        parser._positionals.title = _("arguments")
        parser._optionals.title = _("options")
        if parser.description:
            parser.description = str(parser.description)
        for action in parser._actions:
            if action.option_strings and action.option_strings[-1] in _DJANGO_OPTIONS:
                action.help = str(COMMON_HELP[action.dest])
                action.metavar = COMMON_METAVARS.get(action.dest, action.metavar)
            elif action.help:
                action.help = str(action.help)
            if action.metavar is not None and not isinstance(action.metavar, tuple):
                action.metavar = str(action.metavar)
        return parser

    def execute(self, *args, **options):
        """From the command line an error is printed as "错误：…" (Django writes its class name,
        "CommandError:"), with the exit status it carries; called from code it is raised."""
        if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except SystemCheckError:
            raise  # Django prints the checks' report as it is
        except CommandError as error:
            self.stderr.write(_("Error: %(message)s") % {"message": error})
            raise SystemExit(error.returncode) from error


def import_arguments(parser) -> None:
    """The file, ``--user`` and ``--dry-run`` every import command takes
    (``approvals/spreadsheets/command.py`` runs them)."""
    parser.add_argument(
        "file",
        metavar=gettext_lazy("FILE"),
        help=gettext_lazy("the spreadsheet: .xlsx, .xls or .csv"),
    )
    parser.add_argument(
        "--user",
        default=None,
        action=Once,
        metavar=gettext_lazy("USER"),
        help=gettext_lazy(
            "login or name of who imports (without it: administrator rights, "
            "the records name the command line)"
        ),
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=gettext_lazy("check the file and say what it would do; write nothing"),
    )


def a_day(value: str) -> dt.date:
    """An option's day, YYYY-MM-DD, or argparse's error in Chinese (every command's one reader)."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a date: write YYYY-MM-DD.") % {"value": value}
        ) from error


def a_round(value: str) -> tuple[int, int]:
    """An option's round, YEAR-ROUND (2025-2), as (year, round), or argparse's error."""
    named = round_named(value)
    if named is None:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a batch: write YEAR-ROUND, e.g. 2025-2.") % {"value": value}
        )
    return named
