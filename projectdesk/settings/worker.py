"""Celery: the broker, the results, the retries, the time limits and the beat's schedule.

REDIS_URL selects Redis; otherwise kombu's file-system transport under CELERY_BROKER_DIR, which
needs no server and still lets a separate worker process pick up the messages.
"""

from projectdesk.settings.base import TIME_ZONE
from projectdesk.settings.desk import BROKER_TIMEOUT, CELERY_BROKER_DIR, REDIS_URL
from projectdesk.settings.environment import env

CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Redis out of reach or not answering: connecting gives up after BROKER_TIMEOUT seconds and
    # any other socket operation after 10 (above kombu's 1 s BRPOP wait), instead of redis-py's
    # default of waiting for ever.
    {"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": 10}
    if REDIS_URL
    else {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
)
# The broker out of reach: publishing a task gives up after BROKER_TIMEOUT seconds (one retry)
# and the request still succeeds; its job stays queued in the database and is sent again when
# the broker is back (approvals/jobs/services.py).
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = BROKER_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# Redis away for however long: the worker and the beat keep trying (Celery's default gave up
# after 100 attempts, about 46 minutes, and the worker exited), at first start too; meanwhile
# the web serves and jobs wait in the database. The wait between two attempts starts at 2 s and
# grows by 2 s up to BROKER_RETRY_INTERVAL_MAX (Celery's 30; projectdesk.celery.Consumer).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "projectdesk.celery:Consumer"

# Results are kept only for tasks that ask for them (the health check); a file folder
# stands in for Redis in the embedded default.
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{CELERY_BROKER_DIR / 'results'}"
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# The schedule (the daily reminder scan, the delivery retries) lives in the database, where
# administrators see and change it in the admin (django-celery-beat).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
