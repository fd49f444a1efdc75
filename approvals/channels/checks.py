"""``manage.py check --deploy`` (issue 23): a deployment that keeps channels' secrets has the key
that decrypts them. Without ``CHANNEL_SECRET_KEY`` (and DEBUG off) a secret can be neither saved
nor read, so every robot, application and SMS account would fail at its first message: an
error, which ``./desk serve`` refuses to start with. A deployment with no channel needs no key.
Imported by ``approvals.apps`` when the app is ready."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError
from django.db.models import Q
from django.utils.translation import gettext as _


@register(Tags.security, deploy=True)
def channel_secrets_have_their_key(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or settings.CHANNEL_SECRET_KEYS:
        return []
    from approvals.channels.models import Channel

    try:
        keeping = Channel.objects.filter(~Q(webhook="") | ~Q(secret="")).exists()
    except DatabaseError:  # not migrated yet: no channel
        return []
    if not keeping:
        return []
    return [
        Error(
            _(
                "Channels keep secrets, but CHANNEL_SECRET_KEY is not set: they can be neither "
                "read nor sent."
            ),
            hint=_("Set CHANNEL_SECRET_KEY to the key they were saved with."),
            id="projectdesk.E130",
        )
    ]
