"""Ask a running Celery worker for its health check and say what it answered."""

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.management.base import DeskCommand, Once
from approvals.tasks import health_check


class Command(DeskCommand):
    help = gettext_lazy("Send the health-check task and wait for a worker to answer it.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            action=Once,
            metavar=gettext_lazy("SECONDS"),
            help=gettext_lazy("seconds to wait (60)"),
        )
        parser.add_argument(
            "--queue",
            default=None,
            action=Once,
            metavar=gettext_lazy("QUEUE"),
            help=gettext_lazy("the queue the worker listens on"),
        )

    def handle(self, *args, timeout: float, queue: str | None, **options) -> None:
        try:
            answer = health_check.apply_async(queue=queue).get(timeout=timeout)
        except CeleryTimeout as exc:
            raise CommandError(
                _("no Celery worker answered within %(seconds).0f s") % {"seconds": timeout}
            ) from exc
        self.stdout.write(
            _("Celery worker ready: it reads the %(database)s database (%(projects)d projects).")
            % {"database": answer["database"], "projects": answer["projects"]}
        )
