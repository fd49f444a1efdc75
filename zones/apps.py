from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ZonesConfig(AppConfig):
    name = "zones"
    verbose_name = _("Zones and people")

    def ready(self) -> None:
        # People know each other by name, not by login: every page that shows a user (records,
        # requests, lists) shows "李明（officer）". Django's User has no setting for this.
        from django.contrib.auth import get_user_model

        get_user_model().__str__ = display_name


def display_name(user) -> str:
    full_name = user.get_full_name()
    return f"{full_name}（{user.username}）" if full_name else user.username
