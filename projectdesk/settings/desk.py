"""ProjectDesk's own knobs, in one place: every setting the desk itself reads (none of Django's or
a library's), each from the environment with its default and one line saying what it does.

base.py, security.py and worker.py make Django's and the libraries' settings from some of them;
the README's "Settings" table describes the same variables for the people who deploy the desk.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from projectdesk.settings.environment import BASE_DIR, DEBUG, env, env_bool, env_proxies

# --- files ---
# What the desk writes as it runs: the embedded database, broker, media, mail, jobs' progress.
VAR_DIR = Path(env.str("PROJECTDESK_VAR_DIR", default=str(BASE_DIR / "var")))
# The file-system Celery broker's folders and its results, used without REDIS_URL (worker.py).
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
# Static files by whitenoise's manifest (hashed names, collected at start); off with DEBUG.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)

# --- database waits: past them a write fails with "系统繁忙，请稍后重试" (projectdesk/busy.py) ---
# Seconds PostgreSQL may take to accept a connection.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
# How long a PostgreSQL statement waits for a lock ("0": no limit).
DATABASE_LOCK_TIMEOUT = env.str("DATABASE_LOCK_TIMEOUT", default="0" if DEBUG else "5s")
# How long a PostgreSQL statement may run ("0": no limit; ./desk serve's worker: the task limit).
DATABASE_STATEMENT_TIMEOUT = env.str("DATABASE_STATEMENT_TIMEOUT", default="0" if DEBUG else "30s")
# Seconds SQLite waits for the file's write lock; wins over a timeout written in DATABASE_URL.
SQLITE_TIMEOUT = env.int("SQLITE_TIMEOUT", default=20)
# How long a busy page asks the browser to wait before trying again (Retry-After, seconds).
BUSY_RETRY_AFTER = env.int("BUSY_RETRY_AFTER", default=10)

# --- Redis and the worker ---
# Redis for Celery's broker and results and for the jobs' progress; empty: files under VAR_DIR.
REDIS_URL = env.str("REDIS_URL", default="")
# Seconds publishing a task may take; past them the job stays queued and is sent again later.
BROKER_TIMEOUT = env.float("BROKER_TIMEOUT", default=2.0)
# Longest pause between the worker's and beat's attempts to reach the broker (they never stop).
BROKER_RETRY_INTERVAL_MAX = env.float("BROKER_RETRY_INTERVAL_MAX", default=30.0)

# --- evidence documents attached to stage requests (agreements, permits, site photos) ---
# The file types accepted as evidence.
EVIDENCE_FILE_TYPES = env.list(
    "EVIDENCE_FILE_TYPES",
    default=["pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx"],
)
# The largest evidence document, in MB.
EVIDENCE_FILE_MAX_MB = env.int("EVIDENCE_FILE_MAX_MB", default=20)

# --- spreadsheets people import (the extent checks refuse a zip bomb before it is read) ---
# The largest upload, in MB.
IMPORT_FILE_MAX_MB = env.int("IMPORT_FILE_MAX_MB", default=20)
# The most a workbook may expand to when read, in MB.
IMPORT_EXPANDED_MAX_MB = env.int("IMPORT_EXPANDED_MAX_MB", default=300)
# The most rows a spreadsheet may span, all its sheets together.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)
# The most cells (rows × columns of each used area), all sheets together: ~60 bytes each once read.
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=3_000_000)
# From this many rows an import or export runs in the worker, with a progress bar.
SPREADSHEET_WORKER_ROWS = env.int("SPREADSHEET_WORKER_ROWS", default=10_000)
# Rows of a project list compared and written at a time (memory stays flat however long the list).
SPREADSHEET_CHUNK_ROWS = env.int("SPREADSHEET_CHUNK_ROWS", default=5000)

# --- warnings and reminders ---
# Milestone yellow from this many days before the planned date (预警设置's first value; guide §6).
MILESTONE_YELLOW_WITHIN_DAYS = env.int("MILESTONE_YELLOW_WITHIN_DAYS", default=7)
# Milestone red when more than this many days late (预警设置's first value; guide §6).
MILESTONE_RED_AFTER_DAYS = env.int("MILESTONE_RED_AFTER_DAYS", default=30)
# Where people open the desk: links in reminder e-mails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Where investors open their page (portal/; its own host name facing the internet); empty: the
# address the officer's admin page was opened at. Links made for investors start with it.
PORTAL_URL = env.str("PORTAL_URL", default="")

# --- authentication (issue 12): security.py makes Django's, axes' and django-otp's settings ---
# The shortest password, in characters (of three of the four classes).
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=10)
# Days before a password must be changed (0: never).
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
# Failed logins of one name from one address that lock the name out.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
# Failed logins of one name from any address that lock the name out.
LOGIN_FAILURE_LIMIT_PER_NAME = env.int("LOGIN_FAILURE_LIMIT_PER_NAME", default=20)
# Minutes a lockout lasts (0: until the security administrator lifts it).
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
if not 0 < LOGIN_FAILURE_LIMIT <= LOGIN_FAILURE_LIMIT_PER_NAME:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT must be at least 1 and at most LOGIN_FAILURE_LIMIT_PER_NAME."
    )
if LOGIN_LOCKOUT_MINUTES < 0:
    raise ImproperlyConfigured("LOGIN_LOCKOUT_MINUTES must be 0 (no end) or more.")
# Minutes without a request after which a session ends.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
if SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES must be 1 or more.")
# Second factor (TOTP) for supervisors and administrators: on unless DEBUG (the embedded demo).
REQUIRE_2FA = env_bool("REQUIRE_2FA", default=not DEBUG)

# --- audit and administrators (issue 12) ---
# The superuser flag grants powers only with DEBUG, the demo: production cannot turn it on.
SUPERUSER_POWERS = DEBUG
# Days security audit records are kept at least (six months: 网络安全法 art. 21; purge_audit).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=183)
if AUDIT_RETENTION_DAYS < 183:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS may not be less than 183 (six months).")
# Proxies of ours in front, each adding to X-Forwarded-For (./desk serve: 1; 0: REMOTE_ADDR).
TRUSTED_PROXY = env_proxies("TRUSTED_PROXY", default=0 if DEBUG else 1)

# --- the API (issue 22, api/) ---
# Days a client system's token lasts (the system administrator may give fewer when issuing it).
API_CLIENT_TOKEN_DAYS = env.int("API_CLIENT_TOKEN_DAYS", default=365)
# Days a person's own token lasts, at most.
API_PERSONAL_TOKEN_DAYS = env.int("API_PERSONAL_TOKEN_DAYS", default=90)
# A person's own token unused this many days is refused (a client's knows no idle time).
API_PERSONAL_TOKEN_IDLE_DAYS = env.int("API_PERSONAL_TOKEN_IDLE_DAYS", default=30)
# Calls per minute of a person's own token (a client's is set on the client).
API_PERSONAL_RATE_PER_MINUTE = env.int("API_PERSONAL_RATE_PER_MINUTE", default=60)
# Calls per minute from one address without a usable token.
API_ANONYMOUS_RATE_PER_MINUTE = env.int("API_ANONYMOUS_RATE_PER_MINUTE", default=30)

# --- reminders where people read them (issue 23, approvals/channels/) ---
# The key that encrypts the channels' secrets at rest (a Fernet key; several separated by commas
# to rotate: the first encrypts, all decrypt). Required with DEBUG off once a channel has a secret.
CHANNEL_SECRET_KEYS = env.list("CHANNEL_SECRET_KEY", default=[])
# A deployment without internet access (a government network): every channel off, said on the
# channels' page; the inbox, e-mail and the 督办通报's download still work.
CHANNELS_OFFLINE = env.bool("CHANNELS_OFFLINE", default=False)
# Seconds a platform has to answer one call before the attempt counts as failed (and is retried).
CHANNEL_TIMEOUT_SECONDS = env.float("CHANNEL_TIMEOUT_SECONDS", default=10.0)
# Where 企业微信's server API answers (the application messages' token and sending; a robot's
# address is its own webhook). Changed only for a private deployment (政务微信) or a test.
WECOM_API_BASE = env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com")
