"""The embedded desk's web server (``./desk run``): Django's development server (with its static
files, as ``runserver`` serves them) announcing itself in Chinese like the rest of the desk
(the brief: "Chinese everywhere people look, third-party pages and commands included").
Django's own banner, its "Performing system checks…" and its development-server warning are
English strings it does not translate; everything else is ``runserver``'s."""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunServer
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand

#: runserver's options, said in the desk's words (Django's are English only).
OPTION_HELP = {
    "addrport": gettext_lazy("the port, or address:port (127.0.0.1:8000)"),
    "use_ipv6": gettext_lazy("listen on an IPv6 address"),
    "use_threading": gettext_lazy("serve one request at a time"),
    "use_reloader": gettext_lazy("do not restart when the code changes"),
    "use_static_handler": gettext_lazy("do not serve the static files"),
    "insecure_serving": gettext_lazy("serve the static files even with DEBUG off"),
}


class Command(DeskCommand, RunServer):
    help = gettext_lazy("Start the embedded desk's web server (Django's development server).")

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        for action in parser._actions:
            if action.dest in OPTION_HELP:
                action.help = OPTION_HELP[action.dest]
            if action.dest == "addrport":
                action.metavar = gettext_lazy("ADDRESS:PORT")

    def inner_run(self, *args, **options):
        if not options["skip_checks"]:
            # runserver's own checks, announced in English: run here, quiet unless they find
            # something (then they stop the server, as runserver's would)
            self.stdout.write(_("» Checking the system"))
            self.check(display_num_errors=False)
            options = {**options, "skip_checks": True}
        super().inner_run(*args, **options)

    def on_bind(self, server_port):
        quit_with = "CTRL-BREAK" if sys.platform == "win32" else "Ctrl-C"
        if self._raw_ipv6:
            address = f"[{self.addr}]"
        elif self.addr == "0":
            address = "0.0.0.0"
        else:
            address = self.addr
        now = timezone.localtime()
        self.stdout.write(
            _(
                "%(now)s\n"
                "Web server started at %(url)s (Django %(version)s, settings %(settings)s).\n"
                "Press %(quit)s to stop it. This is the development server of the embedded desk: "
                "in production use ./desk serve (README, “Production”)."
            )
            % {
                "now": now.strftime("%Y-%m-%d %H:%M:%S"),
                "url": f"{self.protocol}://{address}:{server_port}/",
                "version": self.get_version(),
                "settings": settings.SETTINGS_MODULE,
                "quit": quit_with,
            }
        )
