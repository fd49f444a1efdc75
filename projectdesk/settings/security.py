"""Security (issue 12): authentication, passwords, lockout (django-axes), the second factor
(django-otp), sessions, and the deployment's hardening: HTTPS behind the proxy, HSTS, secure
cookies, the Content-Security-Policy. The numbers come from desk.py's knobs.

With DEBUG off the desk is served by gunicorn behind a TLS-terminating proxy (./desk serve,
README "Production"): every knob here defaults to the production value.
"""

from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE

from projectdesk.settings.desk import (
    LOGIN_LOCKOUT_MINUTES,
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_MIN_LENGTH,
    SESSION_IDLE_MINUTES,
)
from projectdesk.settings.environment import DEBUG, env, env_bool

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out name before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, granting no permission itself; refuses the demo's accounts with
    # DEBUG off and reads a superuser flag as off without SUPERUSER_POWERS (issue 12).
    "approvals.access.permissions.AccountBackend",
    # Permissions that follow from a user's zone roles (officer, supervisor, ...).
    "approvals.access.permissions.ZoneRoleBackend",
]
# Where a login goes when its "next" is missing or off-site (Django's default is a 404).
LOGIN_REDIRECT_URL = "admin:index"

# Passwords: Django's checks, at least PASSWORD_MIN_LENGTH characters of three of the four
# classes (upper, lower, digits, symbols), and changed every PASSWORD_MAX_AGE_DAYS (0: never);
# an older one sends its owner to the password change page and nowhere else (accounts/security.py).
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
AXES_HANDLER = "accounts.security.LockoutHandler"
AXES_FAILURE_LIMIT = "accounts.security.failure_limit"  # reads LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_COOLOFF_TIME = (LOGIN_LOCKOUT_MINUTES / 60) or None  # hours
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # approvals/admin/accounts.py shows them to the security administrator
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
# The client's address, for the lockout and the audit log: the X-Forwarded-For entry the
# outermost of TRUSTED_PROXY proxies added, never one the client wrote (accounts/security.py).
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_address"
# Quiet: axes would log "AXES: BEGIN version …" at every start, every manage.py command included
# (guide section 12: commands print no library banners), and each attempt with every attribute.
# Failed logins and lockouts are in the security audit log (approvals/audit/services.py).
AXES_VERBOSE = False

# Sessions end after SESSION_IDLE_MINUTES without a request (each request renews the expiry).
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# Second factor (TOTP, required by REQUIRE_2FA): the name authenticator apps show.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="ProjectDesk")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # nobody reads another person's secret in the admin

# HTTPS: the proxy in front of ./desk serve terminates TLS and says so in X-Forwarded-Proto
# (the same proxy TRUSTED_PROXY counts); HTTPS only, secure cookies.
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
