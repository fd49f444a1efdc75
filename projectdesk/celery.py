"""The Celery app: configured from Django settings with the ``CELERY_`` prefix."""

import functools
import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_ready
from celery.worker.consumer import Consumer as CeleryConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "projectdesk.settings")

app = Celery("projectdesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders() -> None:
    """The file-system broker needs its folders before the first message is written."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = str(app.conf.result_backend or "")
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _prepare_broker(sender: Celery, **kwargs) -> None:
    if str(sender.conf.broker_url).startswith("filesystem://"):
        ensure_broker_folders()


# --- reliability (issue 12) ---
REQUEUE_ENTRY = "重发等待中的后台任务"


@app.on_after_configure.connect
def _reliability(sender: Celery, **kwargs) -> None:
    conf = sender.conf
    # Redis's socket timeouts are in the settings (CELERY_BROKER_TRANSPORT_OPTIONS): Celery reads
    # a setting's prefixed name before any change made here under the short one.
    # Jobs queued while the broker was away are sent again every minute. Kept by
    # django-celery-beat like the reminders' schedule (beat writes this entry into the database
    # as it starts, so administrators see it under 周期性任务); a message nobody took within the
    # minute expires, as the next run sends the job again.
    conf.beat_schedule = {
        REQUEUE_ENTRY: {
            "task": "approvals.tasks.requeue_jobs",
            "schedule": 60.0,
            "options": {"expire_seconds": 55},
        }
    }


class Consumer(CeleryConsumer):
    """The worker's consumer (``worker_consumer`` in the settings), reconnecting to the broker at
    the settings' pace: Celery waits 2 s, then 2 s more at each attempt up to 30 s, and offers no
    setting for it; BROKER_RETRY_INTERVAL_MAX caps that wait (the tests make it short)."""

    def ensure_connected(self, conn):
        from django.conf import settings

        cap = float(settings.BROKER_RETRY_INTERVAL_MAX)
        step = min(2.0, cap)
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=step, interval_step=step, interval_max=cap
        )
        return super().ensure_connected(conn)


@worker_ready.connect
def _requeue_waiting_jobs(sender=None, **kwargs) -> None:
    """A worker that starts sends again every job still queued in the database, however young:
    their messages may have been lost with the broker, or never sent. The task queue they go
    to is the one this worker's tasks go to by default."""
    from approvals.tasks import requeue_jobs

    try:
        requeue_jobs.delay(0)
    except Exception:  # noqa: BLE001 - the minute's run will do it
        logging.getLogger(__name__).warning("could not ask for the queued jobs", exc_info=True)
