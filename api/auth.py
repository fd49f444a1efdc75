"""Who calls: a token in ``Authorization: Bearer pd_…`` (``tokens.check``), and how often
(``TokenRateThrottle``: per token, counted in the cache every web process shares)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from api import tokens
from api.models import Token

#: Shared by the web's processes (Redis with REDIS_URL, else files): a limit per process would
#: let four gunicorn workers take four times the rate.
SHARED_CACHE = "progress"


class TokenAuthentication(BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).decode("latin-1", errors="replace").strip()
        if not header:
            return None
        kind, _sep, text = header.partition(" ")
        if kind.lower() != self.keyword or not text.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer pd_…”.")
            )
        try:
            token = tokens.check(text.strip())
        except tokens.Refused as refused:
            raise exceptions.AuthenticationFailed(str(refused)) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TokenRateThrottle(SimpleRateThrottle):
    """``rate_per_minute`` of the token's client, or the setting for a person's token."""

    cache = caches[SHARED_CACHE]
    rate = "60/min"  # replaced per token in allow_request

    def allow_request(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, Token):
            return True  # anonymous calls: AnonymousRateThrottle
        self.num_requests = (
            token.client.rate_per_minute
            if token.client_id
            else settings.API_PERSONAL_RATE_PER_MINUTE
        )
        self.duration = 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return f"api-rate-{request.auth.prefix}"


class AnonymousRateThrottle(SimpleRateThrottle):
    """Calls without a usable token, per address (a scan for tokens is slowed down)."""

    cache = caches[SHARED_CACHE]
    rate = "60/min"

    def allow_request(self, request, view) -> bool:
        if isinstance(request.auth, Token):
            return True
        self.num_requests, self.duration = settings.API_ANONYMOUS_RATE_PER_MINUTE, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return f"api-rate-anonymous-{self.get_ident(request)}"
