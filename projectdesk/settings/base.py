"""ProjectDesk settings: every knob comes from the environment.

Nothing set means the embedded default: an SQLite file and a file-system Celery
broker under ``var/`` in the project folder, so a fresh clone runs with only Python.
``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis without code changes.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
VAR_DIR = Path(env.str("PROJECTDESK_VAR_DIR", default=str(BASE_DIR / "var")))

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Unlike ``env.bool``, a word that is neither yes nor no is an error, not False."""
    raw = env.str(name, default="1" if default else "0").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value (use 1 or 0).")
    return raw in _TRUE


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for a local demo, which uses a throw-away development key)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django-unfold, the admin's face: before django.contrib.admin, so that its templates win.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fsm",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "solo",
    # Content-Security-Policy (issue 12; the policy is in the production block below).
    "csp",
    # Identification and authentication (issue 12): lockout, second factor.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "zones",
    "accounts",
    "approvals",
]

MIDDLEWARE = [
    # First: the load balancer's /healthz answers before the SSL redirect, the host check and
    # the session (projectdesk/health.py).
    "projectdesk.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with far-future caching, right after SecurityMiddleware (whitenoise's docs).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # A write that cannot get the database in time: 503 "系统繁忙" (projectdesk/busy.py).
    "projectdesk.busy.BusyDatabaseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    # The request's address and person, for the security audit log's records (issue 12).
    "approvals.audit.services.AuditContextMiddleware",
    # The one session, the second factor, the password's age (accounts/security.py).
    "accounts.middleware.AuthenticationControlsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during the login into its page.
    "axes.middleware.AxesMiddleware",
]
# Reverting to an old version would write a protected stage or status: never offered.
SIMPLE_HISTORY_REVERT_DISABLED = True

ROOT_URLCONF = "projectdesk.urls"
WSGI_APPLICATION = "projectdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "approvals.reminders.context_processors.reminders",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'projectdesk.sqlite3'}"),
}
# A write that waits for a lock longer than DATABASE_LOCK_TIMEOUT, or a statement running longer
# than DATABASE_STATEMENT_TIMEOUT (PostgreSQL; "0" for no limit), fails and the person reads
# "系统繁忙，请稍后重试" (projectdesk/busy.py); ./desk serve gives its worker the task time limit.
# SQLite waits SQLITE_TIMEOUT seconds for the file's write lock.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
DATABASE_LOCK_TIMEOUT = env.str("DATABASE_LOCK_TIMEOUT", default="0" if DEBUG else "5s")
DATABASE_STATEMENT_TIMEOUT = env.str("DATABASE_STATEMENT_TIMEOUT", default="0" if DEBUG else "30s")
SQLITE_TIMEOUT = env.int("SQLITE_TIMEOUT", default=20)
_db_options = DATABASES["default"].setdefault("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share one file: wait for locks instead of failing.
    # SQLITE_TIMEOUT wins over a timeout written in DATABASE_URL.
    _db_options.update({"timeout": SQLITE_TIMEOUT, "transaction_mode": "IMMEDIATE"})
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    _db_options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    # No JIT compilation (unless DATABASE_URL says otherwise): the admin's plans read one page,
    # yet their cost estimates over 100,000 projects made PostgreSQL compile them, 1.27 s of a
    # 1.73 s list page.
    _db_options["options"] = " ".join(
        [
            _db_options.get("options", "-c jit=off"),
            f"-c lock_timeout={DATABASE_LOCK_TIMEOUT}",
            f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}",
        ]
    ).strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out name before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, granting no permission itself; refuses the demo's accounts with
    # DEBUG off and reads a superuser flag as off without SUPERUSER_POWERS (issue 12).
    "approvals.access.permissions.AccountBackend",
    # Permissions that follow from a user's zone roles (officer, supervisor, ...).
    "approvals.access.permissions.ZoneRoleBackend",
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Our catalogue (makemessages writes it) and the admin theme's, kept by hand: django-unfold ships
# no Chinese, and makemessages, reading only our sources, would mark its strings obsolete.
LOCALE_PATHS = [BASE_DIR / "projectdesk" / "locale", BASE_DIR / "projectdesk" / "locale_theme"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The admin's face (django-unfold): the site's names, and a sidebar grouped by what each role
# does (projectdesk/unfold.py builds it; each link asks approvals.access.permissions who sees it).
UNFOLD = {
    "SITE_TITLE": _("ProjectDesk full-proxy service desk"),
    "SITE_HEADER": _("ProjectDesk full-proxy service desk"),
    "SITE_SYMBOL": "assignment",
    "SITE_URL": None,
    "STYLES": ["projectdesk.unfold.stylesheet"],
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": "projectdesk.unfold.show_all_applications",
        "navigation": "projectdesk.unfold.navigation",
    },
}

STATIC_URL = "static/"
# Static files: collected into STATIC_ROOT at start and served by whitenoise with hashed names
# (compressed, cached for ever) with DEBUG off; Django's plain storage with DEBUG (below).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Evidence documents attached to stage requests (agreements, permits, site photos).
EVIDENCE_FILE_TYPES = env.list(
    "EVIDENCE_FILE_TYPES",
    default=["pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx"],
)
EVIDENCE_FILE_MAX_MB = env.int("EVIDENCE_FILE_MAX_MB", default=20)
# Milestone colours (guide section 6): yellow from this many days before the planned date,
# red when more than this many days late.
MILESTONE_YELLOW_WITHIN_DAYS = env.int("MILESTONE_YELLOW_WITHIN_DAYS", default=7)
MILESTONE_RED_AFTER_DAYS = env.int("MILESTONE_RED_AFTER_DAYS", default=30)
# Spreadsheets people import: the largest upload, the most a workbook may expand to when read
# (a zip bomb is refused before it is read), and from how many rows the work moves to the worker.
IMPORT_FILE_MAX_MB = env.int("IMPORT_FILE_MAX_MB", default=20)
IMPORT_EXPANDED_MAX_MB = env.int("IMPORT_EXPANDED_MAX_MB", default=300)
# The most rows, and cells (rows × columns of each sheet's used area), a spreadsheet may span,
# all its sheets together: checked before a sheet is built (a reader builds a sheet whole,
# ~60 bytes a cell), so a few kilobytes cannot ask for gigabytes.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=3_000_000)
SPREADSHEET_WORKER_ROWS = env.int("SPREADSHEET_WORKER_ROWS", default=10_000)
# Rows of a project list compared and written at a time (memory stays flat however long the list).
SPREADSHEET_CHUNK_ROWS = env.int("SPREADSHEET_CHUNK_ROWS", default=5000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Where people open the desk: links in reminder emails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# The administrators' warning thresholds are read on every page: cached for a minute, and
# cleared when they change them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SOLO_CACHE = "default"
SOLO_CACHE_TIMEOUT = 60

# Email: console output unless an SMTP server is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="projectdesk@localhost")
# For django.core.mail.backends.filebased.EmailBackend: one file per message in this folder.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

# --- authentication (issue 12) ---
# Passwords: Django's checks, at least PASSWORD_MIN_LENGTH characters of three of the four
# classes (upper, lower, digits, symbols), and changed every PASSWORD_MAX_AGE_DAYS (0: never);
# an older one sends its owner to the password change page and nowhere else (accounts/security.py).
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=10)
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    # Django's similarity check misses a name inside a longer password ("Alice@Desk-2026").
    {"NAME": "accounts.validators.NotTheUserNameValidator"},
    # Validates nothing: records when a password is set, for its maximum age.
    {"NAME": "accounts.validators.MaximumAgeValidator", "OPTIONS": {"days": PASSWORD_MAX_AGE_DAYS}},
]
# Lockout (django-axes, guide section 11): LOGIN_FAILURE_LIMIT failures of one name from one
# address, or LOGIN_FAILURE_LIMIT_PER_NAME of one name from any address, lock that name out for
# LOGIN_LOCKOUT_MINUTES (0: until the security administrator lifts it). Axes compares one count
# with one limit; the handler in accounts/security.py gives it the count of whichever binds first.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_LIMIT_PER_NAME = env.int("LOGIN_FAILURE_LIMIT_PER_NAME", default=20)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
if not 0 < LOGIN_FAILURE_LIMIT <= LOGIN_FAILURE_LIMIT_PER_NAME:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT must be at least 1 and at most LOGIN_FAILURE_LIMIT_PER_NAME."
    )
if LOGIN_LOCKOUT_MINUTES < 0:
    raise ImproperlyConfigured("LOGIN_LOCKOUT_MINUTES must be 0 (no end) or more.")
AXES_HANDLER = "accounts.security.LockoutHandler"
AXES_FAILURE_LIMIT = "accounts.security.failure_limit"  # reads LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_COOLOFF_TIME = (LOGIN_LOCKOUT_MINUTES / 60) or None  # hours
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # approvals/admin/accounts.py shows them to the security administrator
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
# Where a login goes when its "next" is missing or off-site (Django's default is a 404).
LOGIN_REDIRECT_URL = "admin:index"
# Sessions end after SESSION_IDLE_MINUTES without a request (each request renews the expiry).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be 1 or more.")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
# Second factor (TOTP) for supervisors and administrators: on unless DEBUG (the embedded demo).
REQUIRE_2FA = env_bool("REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="ProjectDesk")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # nobody reads another person's secret in the admin

# --- audit and administrators (issue 12) ---
# The superuser flag holds only in the embedded demo (DEBUG on): elsewhere it grants nothing and
# `manage.py check --deploy` reports each active superuser (approvals/access/permissions.py). Not read
# from the environment: production has no way to turn it on.
SUPERUSER_POWERS = DEBUG
# Security audit records are kept at least this many days (six months: 网络安全法 art. 21);
# `manage.py purge_audit` removes none younger.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=183)
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS may not be less than 183 (six months).")
# How many proxies of ours stand in front (each appends to X-Forwarded-For): the client's
# address is the entry the outermost one added, never one the client wrote (accounts/security.py,
# read by the audit log and the lockout). 1 with DEBUG off (./desk serve runs behind its TLS
# proxy, whose X-Forwarded-Proto SECURE_PROXY_SSL_HEADER trusts too); 0: REMOTE_ADDR alone.
_proxies = env.str("TRUSTED_PROXY", default="0" if DEBUG else "1").strip().lower()
if _proxies.isascii() and _proxies.isdigit():
    TRUSTED_PROXY = int(_proxies)
elif _proxies in _TRUE | _FALSE:
    TRUSTED_PROXY = int(_proxies in _TRUE)
else:
    raise ImproperlyConfigured(
        f"TRUSTED_PROXY={_proxies!r} is not a number of proxies (0: none, 1: one, as in front "
        "of ./desk serve)."
    )
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_address"

# --- production (issue 12) ---
# With DEBUG off the desk is served by gunicorn behind a TLS-terminating proxy (./desk serve,
# README "Production"): HTTPS only, secure cookies, HSTS, a Content-Security-Policy, static files
# from whitenoise, and database waits bounded. Every knob defaults to the production value.
SECURE_PROXY_SSL_HEADER = None if DEBUG else ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", default=False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# One year, the subdomains of the desk's host too, and consent to the browsers' preload list
# (the header alone enrols nothing: the domain's owner submits it, with includeSubDomains).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # the CSRF check of HTTPS posts reads the Referer
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4: maintained, a nonce made only when a template asks for
# one, a report-only mode, and the directive dict that Django 6's own SECURE_CSP adopted).
#   script-src: our pages have no inline script; django-unfold's Alpine.js (the standard build,
#     which unfold bundles) compiles every x-data / @click expression with the Function
#     constructor, so 'unsafe-eval' is the one exception; Chart.js and htmx need nothing more.
#   style-src: 'unsafe-inline' for styles only: unfold writes <style> blocks (its theme colours,
#     the list's column widths) and style= attributes (progress bars, avatars), our pages colour
#     their dots with style=, and htmx adds its indicator style. A style cannot run code.
#   img-src data: unfold's CSS draws icons as data: SVG; QR codes are drawn as data: or SVG.
_CSP = {
    "default-src": [SELF],
    "script-src": [SELF, UNSAFE_EVAL, NONCE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
# With DEBUG (./desk run) violations are reported in the browser's console, not enforced:
# Django's debug pages have inline scripts.
if DEBUG:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP}
# Static files with hashed names from whitenoise's manifest with DEBUG off (STATIC_ROOT above).
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# How long a busy page asks the browser to wait before trying again (Retry-After, seconds).
BUSY_RETRY_AFTER = env.int("BUSY_RETRY_AFTER", default=10)
# The broker out of reach: publishing a task gives up after BROKER_TIMEOUT seconds (one retry)
# and the request still succeeds; its job stays queued in the database and is sent again when
# the broker is back (approvals/jobs/services.py). Redis's sockets get the same timeouts (below).
BROKER_TIMEOUT = env.float("BROKER_TIMEOUT", default=2.0)
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
BROKER_RETRY_INTERVAL_MAX = env.float("BROKER_RETRY_INTERVAL_MAX", default=30.0)
CELERY_WORKER_CONSUMER = "projectdesk.celery:Consumer"

# Celery: REDIS_URL selects Redis; otherwise kombu's file-system transport, which needs
# no server and still lets a separate worker process pick up the messages.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis out of reach or not answering: connecting gives up after BROKER_TIMEOUT seconds and
    # any other socket operation after 10 (above kombu's 1 s BRPOP wait), instead of redis-py's
    # default of waiting for ever.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "socket_connect_timeout": BROKER_TIMEOUT,
        "socket_timeout": 10,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
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

# The progress of background jobs and their workers' leases (approvals/jobs/services.py), written while
# the job's own transaction is open and read by the web's processes: Redis with REDIS_URL, else
# files under VAR_DIR (a per-process memory cache, or a row under SQLite's one writer, hides it).
CACHES["progress"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "projectdesk",
        "OPTIONS": {"socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": 5},
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "progress"),
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
