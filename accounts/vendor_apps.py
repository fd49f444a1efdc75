"""The third-party apps of accounts, named in Chinese.

Kept out of ``accounts/apps.py`` on purpose: Django takes an app's configuration from its
``apps.py`` only when that module holds exactly one AppConfig subclass (or one marked default);
with these two beside ``AccountsConfig`` "accounts" silently got a bare AppConfig, and its
``ready()`` (the deployment checks, the login signals) never ran."""

from axes.apps import AppConfig as AxesConfig
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as TOTPConfig

# Their pages are shown to the security administrator (approvals/admin/accounts.py), and the
# names they ship are English and not marked for translation: "Axes", "Otp_Totp", "TOTP
# device", and axes' rows as "Attempted Access: <UTC time>". INSTALLED_APPS names these
# configurations instead of the packages'; their app labels (and so tables and migrations) are
# the packages' own. Model options changed here are not in the models' ``original_attrs``, so
# makemigrations sees nothing to write.


class LockoutConfig(AxesConfig):
    """django-axes: failed logins and lockouts."""

    verbose_name = _("Login lockout")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        from accounts import vendor_names

        AccessAttempt.__str__ = vendor_names.attempt
        AccessFailureLog.__str__ = vendor_names.failure
        AccessLog.__str__ = vendor_names.access


class SecondFactorConfig(TOTPConfig):
    """django-otp's TOTP devices: the authenticator apps of the second factor."""

    verbose_name = _("Second factor")

    def ready(self) -> None:
        super().ready()
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice._meta.verbose_name = _("TOTP device")
        TOTPDevice._meta.verbose_name_plural = _("TOTP devices")
