from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and security")

    def ready(self) -> None:
        # Each login's session is recorded (issue 12); the deployment checks register themselves.
        from accounts import checks, security  # noqa: F401
