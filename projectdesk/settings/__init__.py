"""ProjectDesk settings (DJANGO_SETTINGS_MODULE=projectdesk.settings): see base.py."""

from projectdesk.settings.base import *  # noqa: F403
