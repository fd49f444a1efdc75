"""Django's own settings: hosts, apps, middleware, templates, database, caches, e-mail,
languages, static and media files, logging.

Nothing set means the embedded default: an SQLite file and a file-system Celery broker under
``var/`` in the project folder, so a fresh clone runs with only Python. ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis without code changes.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from projectdesk.settings.desk import (
    BROKER_TIMEOUT,
    DATABASE_CONNECT_TIMEOUT,
    DATABASE_LOCK_TIMEOUT,
    DATABASE_STATEMENT_TIMEOUT,
    REDIS_URL,
    SQLITE_TIMEOUT,
    STATIC_MANIFEST,
    VAR_DIR,
)
from projectdesk.settings.environment import BASE_DIR, DEBUG, env, env_bool


def _development_key() -> str:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=1 for a local demo, which uses a throw-away development key)."
        )
    return "insecure-development-key-only-for-debug"  # noqa: S105 - DEBUG only


SECRET_KEY = env.str("SECRET_KEY", default="") or _development_key()

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
    # Content-Security-Policy (issue 12; the policy is in security.py).
    "csp",
    # Identification and authentication (issue 12): lockout, second factor.
    "accounts.vendor_apps.LockoutConfig",  # django-axes, named in Chinese
    "django_otp",
    "accounts.vendor_apps.SecondFactorConfig",  # django_otp.plugins.otp_totp, named in Chinese
    # The API (issue 22, api/): Django REST Framework, its filters, the OpenAPI schema and its
    # docs page served from our own static files.
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "zones",
    "accounts",
    "approvals",
    "api",
    # The investor's page (issue 22): its own URLs, templates and links, outside the admin.
    "portal",
]

MIDDLEWARE = [
    # First: the load balancer's /healthz answers before the SSL redirect, the host check and
    # the session (projectdesk/health.py).
    "projectdesk.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files with far-future caching, right after SecurityMiddleware (whitenoise's docs).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages gzip-compressed (projectdesk/compression.py): after whitenoise, which serves its own
    # compressed static files and answers before it; before every middleware that reads or
    # writes the body (Django's docs), so that it compresses what they leave.
    "projectdesk.compression.TextGZipMiddleware",
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


def _database() -> dict:
    """DATABASE_URL with the waits of desk.py in its connection options: a write that waits for
    a lock longer than DATABASE_LOCK_TIMEOUT, or a statement running longer than
    DATABASE_STATEMENT_TIMEOUT (PostgreSQL), fails and the person reads "系统繁忙，请稍后重试"
    (projectdesk/busy.py); SQLite waits SQLITE_TIMEOUT seconds for the file's write lock."""
    database = env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'projectdesk.sqlite3'}")
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Several processes (web, worker, beat) share one file: wait for locks instead of
        # failing. SQLITE_TIMEOUT wins over a timeout written in DATABASE_URL.
        options.update({"timeout": SQLITE_TIMEOUT, "transaction_mode": "IMMEDIATE"})
    elif database["ENGINE"].startswith("django.db.backends.postgresql"):
        options.setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
        # No JIT compilation (unless DATABASE_URL says otherwise): the admin's plans read one
        # page, yet their cost estimates over 100,000 projects made PostgreSQL compile them,
        # 1.27 s of a 1.73 s list page.
        options["options"] = " ".join(
            [
                options.get("options", "-c jit=off"),
                f"-c lock_timeout={DATABASE_LOCK_TIMEOUT}",
                f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT}",
            ]
        ).strip()
    return database


DATABASES = {"default": _database()}

# The covering index of the home page's colour counts (``project_open_colour``) carries columns
# that only PostgreSQL keeps in an index; SQLite builds it on its key columns and Django warns
# (models.W040, in English, on every migrate of `./desk run`). Silenced there only.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else []
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The administrators' warning thresholds are read on every page: cached for a minute, and
# cleared when they change them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # The progress of background jobs and their workers' leases (approvals/jobs/services.py),
    # written while the job's own transaction is open and read by the web's processes: Redis
    # with REDIS_URL, else files under VAR_DIR (a per-process memory cache, or a row under
    # SQLite's one writer, hides it).
    "progress": (
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
    ),
}
SOLO_CACHE = "default"
SOLO_CACHE_TIMEOUT = 60

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# Our catalogue (makemessages writes it) and the admin theme's, kept by hand: django-unfold ships
# no Chinese, and makemessages, reading only our sources, would mark its strings obsolete. Then
# the other packages' strings that their own catalogues leave in English (Django's user admin and
# password validators, django-axes, django-otp, django-celery-beat; and djangojs, the admin's
# widgets), kept by hand too. The first folder that translates a string wins, and any of these
# wins over the packages' own catalogues.
LOCALE_PATHS = [
    BASE_DIR / "projectdesk" / "locale",
    BASE_DIR / "projectdesk" / "locale_theme",
    BASE_DIR / "projectdesk" / "locale_vendor",
]
TIME_ZONE = "Asia/Shanghai"
# Dates in the admin's own tables and lists as the desk writes them (2026-12-06; the sentences'
# 2026年12月6日 is approvals.core.display.day_in_words): projectdesk/formats/zh_Hans/formats.py.
FORMAT_MODULE_PATH = ["projectdesk.formats"]
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
    # The tab's icon on every admin page (projectdesk/unfold.py; /favicon.ico redirects to it).
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": "projectdesk.unfold.favicon"},
        {
            "rel": "icon",
            "type": "image/x-icon",
            "sizes": "16x16 32x32 48x48",
            "href": "projectdesk.unfold.favicon_ico",
        },
    ],
    # The admin index's dashboard and to-do list, as data (projectdesk/unfold.py, index).
    "DASHBOARD_CALLBACK": "projectdesk.unfold.index",
    # Login errors in the person's words: a wrong password, or an account without a role.
    "LOGIN": {"form": "accounts.login.LoginForm"},
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": "projectdesk.unfold.show_all_applications",
        "navigation": "projectdesk.unfold.navigation",
    },
}

STATIC_URL = "static/"
# Static files: collected into STATIC_ROOT at start and served by whitenoise with hashed names
# (compressed, cached for ever) with STATIC_MANIFEST (DEBUG off); Django's plain storage else.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

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


def _not_library_noise(record) -> bool:
    """Drops what a library says that tells nobody anything: kombu's "No hostname was supplied.
    Reverting to default 'localhost'" whenever a task is sent on the embedded file-system broker
    (whose URL has no host to give), printed by every command that sends one (guide section 12:
    commands print no library banners)."""
    return not (record.name == "kombu.connection" and str(record.msg).startswith("No hostname"))


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_library_noise": {"()": lambda: _not_library_noise}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["no_library_noise"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # the development server's reloader announcing itself ("Watching for file changes with
    # StatReloader"), in English, under ./desk run's own Chinese banner, through Django's own
    # console handler as well as ours: its warnings and errors only
    "loggers": {"django.utils.autoreload": {"level": "WARNING"}},
}

# --- the API (issue 22, api/) ---
REST_FRAMEWORK = {
    # A token per client system or person (api/auth.py); no session: the admin's cookies open
    # nothing here, so no CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.TokenRateThrottle", "api.auth.AnonymousRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ProjectDesk API",
    "DESCRIPTION": "项目全代办服务台 API：开发区、项目、三个一批与报表（issue 22）。"
    "Authorization: Bearer pd_…",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # One name per choice set (the project's stage, a milestone's, the checklist's modes).
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "approvals.cases.models.stages.Stage",
        "MilestoneStageEnum": "approvals.cases.models.stages.MILESTONE_STAGES",
        "RoundCategoryEnum": "approvals.cases.models.rounds.Category",
        "ProblemCategoryEnum": "approvals.casework.models.problem.ProblemCategory",
    },
}
