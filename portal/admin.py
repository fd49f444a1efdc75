"""The officers' side of the investor's links (issue 22): made from an enterprise's page (its
button "为联系人生成投资方链接" opens the form here with the enterprise chosen), shown once as a QR
code and as text to copy into a message, listed per enterprise, and revoked by a button on the
link's page or as an action on the list. Who may is ``permissions.may_link_investor``: someone
who may edit one of the enterprise's projects; everything else of the page is read-only."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from unfold.widgets import UnfoldAdminTextInputWidget

from accounts.second_factor import qr_data_uri
from approvals.access import permissions
from approvals.admin.base import ModelAdmin, key_holds
from portal.links import MadeLink, investor_link_make, investor_link_revoke
from portal.models import InvestorLink
from zones.models import Enterprise


class ContactForm(forms.Form):
    contact_name = forms.CharField(
        label=gettext_lazy("contact person"),
        max_length=50,
        widget=UnfoldAdminTextInputWidget(),
    )
    contact_phone = forms.CharField(
        label=gettext_lazy("contact phone"),
        max_length=30,
        widget=UnfoldAdminTextInputWidget(attrs={"inputmode": "tel"}),
        help_text=gettext_lazy(
            "One link per contact: a new link for the same phone replaces the old one."
        ),
    )


def page_address(request: HttpRequest, token: str) -> str:
    """The investor's page of ``token`` as an absolute address: under ``PORTAL_URL`` (the
    page's own host name) when set, else where this admin page was opened."""
    route = reverse("portal:page", args=[token])
    if settings.PORTAL_URL:
        return settings.PORTAL_URL.rstrip("/") + route
    return request.build_absolute_uri(route)


@admin.register(InvestorLink)
class InvestorLinkAdmin(ModelAdmin):
    list_display = (
        "enterprise",
        "contact_name",
        "contact_phone",
        "state_shown",
        "created_by",
        "created_at",
        "expires_at",
        "last_visit_at",
    )
    list_select_related = ("enterprise", "created_by")
    search_fields = ("enterprise__name_key__matches", "contact_name", "contact_phone")
    sortable_by = ("created_at",)
    linked_lookups = ("enterprise__id__exact",)
    fields = (
        "enterprise",
        "contact_name",
        "contact_phone",
        "state_shown",
        "created_by",
        "created_at",
        "expires_at",
        "ended_at",
        "ended_by",
        "last_visit_at",
    )
    readonly_fields = fields
    actions = ("revoke_selected",)
    change_form_template = "admin/portal/investorlink/change_form.html"

    @admin.display(description=gettext_lazy("state"))
    def state_shown(self, obj: InvestorLink) -> str:
        return str(obj.state().label)

    # --- who sees and keeps them: the one rule, for the list and for each link -------------

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        return permissions.investor_linkable(queryset, request.user, "enterprise__")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.may_link_investors_somewhere(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None:
            return permissions.may_link_investor(request.user, obj.enterprise)
        return permissions.may_link_investors_somewhere(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.may_link_investors_somewhere(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # a link is made or revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # kept: the audit log and the list say who made and ended which

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permissions.may_link_investors_somewhere(request.user)

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self):
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(require_POST(self.revoke_view)),
                name="portal_investorlink_revoke",
            ),
            *super().get_urls(),
        ]

    # --- making one ------------------------------------------------------------------------

    def _enterprise(self, request: HttpRequest) -> Enterprise | None:
        raw = request.GET.get("enterprise") or request.POST.get("enterprise")
        if not raw or not key_holds(Enterprise._meta.pk, raw):
            return None
        linkable = permissions.investor_linkable(Enterprise.objects.all(), request.user)
        return linkable.filter(pk=raw).first()

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        """The form for one enterprise's contact (opened from the enterprise's page), and, once
        made, the link shown this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        enterprise = self._enterprise(request)
        if enterprise is None:
            self.message_user(
                request,
                _(
                    "Open the page of the enterprise and use its button "
                    "“Make an investor link”: links are made for one enterprise's contact."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:zones_enterprise_changelist"))
        if request.method == "POST":
            form = ContactForm(request.POST)
            if form.is_valid():
                try:
                    made = investor_link_make(
                        enterprise=enterprise, by=request.user, **form.cleaned_data
                    )
                except ValidationError as invalid:
                    form.add_error(None, invalid)
                else:
                    return self._shown_once(request, made)
        else:
            form = ContactForm(
                initial={
                    "contact_name": enterprise.contact_person,
                    "contact_phone": enterprise.contact_phone,
                }
            )
        live = list(
            InvestorLink.objects.live().filter(enterprise=enterprise).order_by("contact_name")
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Make an investor link"),
            "opts": self.model._meta,
            "model_opts": self.model._meta,
            "enterprise": enterprise,
            "form": form,
            "live": [(link.contact_name, link.contact_phone, link.expires_at) for link in live],
        }
        return TemplateResponse(request, "admin/portal/investorlink/make.html", context)

    def _shown_once(self, request: HttpRequest, made: MadeLink):
        address = page_address(request, made.token)
        link = made.link
        context = {
            **self.admin_site.each_context(request),
            "title": _("The investor link, shown once"),
            "opts": self.model._meta,
            "model_opts": self.model._meta,
            "address": address,
            "qr_code": qr_data_uri(address),
            "enterprise": link.enterprise.name,
            "contact": link.contact_name,
            "expires_at": link.expires_at,
            "message": _(
                "%(name)s, hello: this is the progress page of %(enterprise)s's projects at the "
                "zone's service desk. Open it in WeChat or any browser (valid until %(day)s): "
                "%(address)s"
            )
            % {
                "name": link.contact_name,
                "enterprise": link.enterprise.name,
                "day": f"{link.expires_at:%Y-%m-%d}",
                "address": address,
            },
            "link_url": reverse("admin:portal_investorlink_change", args=[link.pk]),
        }
        return TemplateResponse(request, "admin/portal/investorlink/made.html", context)

    # --- revoking ----------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        link = self.get_object(request, object_id)
        may_revoke = (
            link is not None
            and link.ended_at is None
            and permissions.may_link_investor(request.user, link.enterprise)
        )
        extra = {"may_revoke": may_revoke, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def revoke_view(self, request: HttpRequest, object_id: str):
        link = self.get_object(request, object_id)
        if link is None:
            raise Http404
        if investor_link_revoke(link=link, by=request.user):
            self.message_user(
                request,
                _("The link of %(contact)s (%(enterprise)s) is revoked: it opens nothing now.")
                % {"contact": link.contact_name, "enterprise": link.enterprise},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("This link had already ended."), messages.WARNING)
        return HttpResponseRedirect(reverse("admin:portal_investorlink_change", args=[link.pk]))

    @admin.action(
        description=gettext_lazy("Revoke the selected investor links"), permissions=["revoke"]
    )
    def revoke_selected(self, request: HttpRequest, queryset) -> None:
        revoked = 0
        for link in queryset.select_related("enterprise"):
            try:
                revoked += investor_link_revoke(link=link, by=request.user)
            except PermissionDenied:
                continue
        self.message_user(
            request,
            ngettext(
                "%(count)d investor link revoked.", "%(count)d investor links revoked.", revoked
            )
            % {"count": revoked},
            messages.SUCCESS,
        )
