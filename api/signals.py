"""A new zone, or a zone moved to another city, joins the API clients' scopes that cover it."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from api.clients import sync_zone
from zones.models import Zone


@receiver(post_save, sender=Zone, dispatch_uid="api-zone-scopes")
def zone_saved(sender, instance: Zone, **kwargs) -> None:
    sync_zone(instance)
