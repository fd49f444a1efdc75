from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The investor's page (issue 22): an enterprise contact follows its projects through a
    personal link its officer made, outside the admin."""

    name = "portal"
    label = "portal"
    verbose_name = _("Investor's page")
