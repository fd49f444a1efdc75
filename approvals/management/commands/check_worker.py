"""Ask a running Celery worker for its health check and say what it answered."""

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.management.base import BaseCommand, CommandError

from approvals.tasks import health_check


class Command(BaseCommand):
    help = "Send the health-check task and wait for a worker to answer it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=float, default=60.0)
        parser.add_argument("--queue", default=None, help="the queue the worker listens on")

    def handle(self, *args, timeout: float, queue: str | None, **options) -> None:
        try:
            answer = health_check.apply_async(queue=queue).get(timeout=timeout)
        except CeleryTimeout as exc:
            raise CommandError(f"no Celery worker answered within {timeout:.0f} s") from exc
        self.stdout.write(
            f"Celery worker ready: it reads the {answer['database']} database "
            f"({answer['projects']} projects)."
        )
