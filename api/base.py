"""What every endpoint shares: Chinese answers, the token's identity, and one audit record per
call (who, which client, what, the result) — ``AuditKind.API_CALL``."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from rest_framework import permissions as drf_permissions
from rest_framework import status, viewsets
from rest_framework.response import Response

from api.models import Token
from approvals.audit import services as audit
from approvals.models import AuditKind


class Audited:
    """Mixed into every view of the API."""

    permission_classes = [drf_permissions.IsAuthenticated]

    def initialize_request(self, request, *args, **kwargs):
        # The reasons are in Chinese whatever the caller's Accept-Language (the field names
        # stay as in the schema).
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return super().initialize_request(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        token = getattr(request, "_auth", None)
        user = getattr(request, "_user", None)
        token = token if isinstance(token, Token) else None
        audit.record(
            AuditKind.API_CALL,
            request=request._request,
            user=token.user if token else None,
            obj=getattr(self, "audited_object", None),
            result=audit.SUCCESS if response.status_code < 400 else audit.FAILURE,
            method=request.method,
            path=request.path[:300],
            query=request.META.get("QUERY_STRING", "")[:300],
            status=response.status_code,
            client=token.client.name if token and token.client_id else "",
            token=token.prefix if token else "",
            personal=bool(token and token.client_id is None and user is not None),
        )
        return response


def etagged(request, data) -> Response:
    """``data`` answered with its ETag (a hash of what is answered: any change of the object or
    of the rows shown with it changes it), or 304 when the caller holds that version."""
    body = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    wanted = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or "*" in wanted:
        response = Response(status=status.HTTP_304_NOT_MODIFIED)
    else:
        response = Response(data)
    response["ETag"] = etag
    return response


class ReadOnlyViewSet(Audited, viewsets.ReadOnlyModelViewSet):
    """Lists and single objects; a single object carries an ETag (``etagged``)."""

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self.audited_object = obj
        return etagged(request, self.get_serializer(obj).data)
