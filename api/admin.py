"""API clients on the admin (设置 → API 客户端), kept by the system administrator: a client's
scope and access, its tokens (issued here and shown once, revoked here), each change audited."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import TabularInline

from api import clients, tokens
from api.models import Client, Token
from approvals.access import permissions
from approvals.admin.base import ModelAdmin


class TokenInline(TabularInline):
    model = Token
    extra = 0
    fields = ("prefix", "name", "created_at", "created_by", "expires_at", "last_used_at", "state")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = gettext_lazy("tokens (the token itself is shown once, when issued)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("state"))
    def state(self, token: Token) -> str:
        if token.revoked_at:
            return _("revoked")
        return _("usable") if token.usable() else _("expired")


@admin.register(Client)
class ClientAdmin(ModelAdmin):
    list_display = ("name", "access", "scope", "rate_per_minute", "created_at")
    sortable_by = ("name",)  # its unique index; a list of a few dozen clients needs no other
    search_fields = ("name",)
    filter_horizontal = ("zones",)
    fields = ("name", "access", "zones", "cities", "whole_province", "rate_per_minute")
    inlines = [TokenInline]
    change_form_template = "admin/api/client/change_form.html"

    @admin.display(description=gettext_lazy("scope"))
    def scope(self, client: Client) -> str:
        if client.whole_province:
            return _("whole province")
        parts = client.city_names() + [z.name for z in client.zones.all()]
        return "、".join(parts) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    def _keeps(self, request) -> bool:
        return permissions.may_keep_configuration(request.user)

    def has_module_permission(self, request) -> bool:
        return self._keeps(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._keeps(request)

    def has_add_permission(self, request) -> bool:
        return self._keeps(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._keeps(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke its tokens instead: the audit names the client

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The tokens still usable or expired (not revoked), for the revoke buttons: plain data.
        open_tokens = list(Token.objects.filter(client_id=object_id, revoked_at__isnull=True))
        extra_context = {**(extra_context or {}), "open_tokens": open_tokens}
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj: Client, form, change) -> None:
        if not change:
            obj.account = clients.new_account(obj.name)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        clients.sync_roles(form.instance)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/issue-token/",
                self.admin_site.admin_view(self.issue_token),
                name="api_client_issue_token",
            ),
            path(
                "token/<int:pk>/revoke/",
                self.admin_site.admin_view(self.revoke_token),
                name="api_token_revoke",
            ),
        ]
        return own + super().get_urls()

    def issue_token(self, request, pk: int):
        """POST: issue a token and show it, on this answer only (it is kept hashed)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._keeps(request):
            raise PermissionDenied
        client = get_object_or_404(Client, pk=pk)
        try:
            days = int(request.POST.get("days") or 0) or None
        except ValueError:
            days = None
        with transaction.atomic():
            issued = tokens.issue_for_client(
                client, by=request.user, name=request.POST.get("name", ""), days=days
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Token issued"),
            "client": client,
            "token_text": issued.text,
            "token": issued.token,
            "back": reverse("admin:api_client_change", args=[client.pk]),
        }
        response = TemplateResponse(request, "admin/api/token_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def revoke_token(self, request, pk: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self._keeps(request):
            raise PermissionDenied
        token = get_object_or_404(Token.objects.exclude(client=None), pk=pk)
        tokens.revoke(token, by=request.user)
        messages.success(request, _("Token %(token)s revoked.") % {"token": token})
        return HttpResponseRedirect(reverse("admin:api_client_change", args=[token.client_id]))


def my_tokens_page(request):
    """我的 API 令牌: a person's own tokens, for its scripts (they act with its roles). Issued
    here (shown once, on the answer to the POST), revoked here."""
    if not permissions.holds_a_role(request.user):
        raise PermissionDenied
    issued = None
    if request.method == "POST":
        if "revoke" in request.POST:
            token = get_object_or_404(
                Token.objects.filter(user=request.user, client=None), pk=request.POST["revoke"]
            )
            tokens.revoke(token, by=request.user)
            messages.success(request, _("Token %(token)s revoked.") % {"token": token})
            return HttpResponseRedirect(reverse("admin:api_my_tokens"))
        with transaction.atomic():
            issued = tokens.issue_personal(
                request.user,
                verified=request.user.is_verified(),
                name=request.POST.get("name", ""),
            )
    mine = [
        {
            "pk": t.pk,
            "prefix": t.prefix,
            "name": t.name,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "usable": t.usable(),
        }
        for t in Token.objects.filter(user=request.user, client=None, revoked_at__isnull=True)
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("My API tokens"),
        "tokens": mine,
        "issued": issued.text if issued else "",
        "issued_expires": issued.token.expires_at if issued else None,
    }
    response = TemplateResponse(request, "admin/api/my_tokens.html", context)
    response["Cache-Control"] = "no-store"
    return response
