from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Projects and approvals")

    def ready(self) -> None:
        from approvals import signals  # noqa: F401  (connects the stage-change recorder)
        from approvals.channels import checks  # noqa: F401  (the channels' key, --deploy)
