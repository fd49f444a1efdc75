"""The reminder channels on the admin (设置 → 提醒渠道, issue 23): a zone's or a city's 企业微信 or
钉钉 group robot, 企业微信 application and SMS account, kept by the system administrator
(``permissions.may_keep_channel``); each channel's delivery health on the list; and each reminder's
deliveries through the channels as plain rows for its page (``deliveries_of``).

**Secrets are never shown back.** A webhook address (its key is what lets anyone post into the
group), a signing secret, an application's Secret and an SMS key are typed into password inputs
that never draw a value (``SecretInput``); a stored one shows only as "已设置（••••••xy）"
(``Secret.masked``). Left blank, the stored secret is kept; its "clear" box removes it. The audit
record of a change names the secrets changed, never their text, and Django's own change message
(the history page) names fields only.

A group robot's page has a 发送测试 button (``send_test_view``, POST only): a short message
through the robot now (``approvals.channels.delivery.send_test``), the platform's answer said on
the page, scrubbed of the channel's secrets."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminPasswordWidget

from approvals.access import permissions
from approvals.admin.at_scale import PageColumns
from approvals.admin.base import ModelAdmin, SafeAutocomplete
from approvals.admin.zones import city_choices
from approvals.audit import services as audit
from approvals.channels import delivery
from approvals.channels.models import GROUP_KINDS, Channel, ChannelKind, Dispatch, SmsProvider
from approvals.channels.platforms import PlatformError
from approvals.core.display import local_time
from approvals.core.secrets import Secret
from approvals.models import AuditKind, Delivery

#: Days over which the list counts a channel's failed deliveries.
HEALTH_DAYS = 7
#: The hosts a robot's webhook may name, per platform (a private 政务微信 deployment's too:
#: ``WECOM_API_BASE``).
DINGTALK_HOST = "oapi.dingtalk.com"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def offline_notice() -> str:
    """What the channels' pages say on a deployment without internet access."""
    return gettext(
        "This desk is deployed in a network without internet access: every outside channel is "
        "off; reminders reach only the desk's inbox (and e-mail), and the 督办通报 can still be "
        "downloaded."
    )


# --- secrets typed, never shown ---------------------------------------------------------------


class _Clear:
    """The value of a secret's input whose "clear" box is ticked."""

    def __str__(self) -> str:
        return ""


CLEAR = _Clear()


class SecretInput(UnfoldAdminPasswordWidget):
    """A password input that never draws a value (``render_value=False``, whatever the form
    holds), and beside it, for a secret that is set, a box to clear it."""

    def __init__(self, attrs=None) -> None:
        super().__init__({"autocomplete": "new-password", **(attrs or {})}, render_value=False)
        self.is_set = False

    def render(self, name, value, attrs=None, renderer=None):
        drawn = super().render(name, None, attrs, renderer)
        if not self.is_set:
            return drawn
        clear = format_html(
            '<label class="inline-flex items-center gap-2 mt-2">'
            '<input type="checkbox" name="{}_clear" id="id_{}_clear"> {}</label>',
            name,
            name,
            gettext("Clear it (remove the stored one)"),
        )
        return format_html("{}{}", drawn, clear)

    def value_from_datadict(self, data, files, name):
        if data.get(f"{name}_clear"):
            return CLEAR
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and f"{name}_clear" not in data


class SecretFormField(forms.CharField):
    """A secret typed anew (its text), cleared (``CLEAR``) or left as stored (""). It has
    changed only when something was typed, or the clear box ticked."""

    widget = SecretInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, strip=True, **kwargs)

    def to_python(self, value):
        return CLEAR if value is CLEAR else super().to_python(value)

    def show_stored(self, stored: Secret) -> None:
        """Says on the page that a secret is set (its mask only) and offers to clear it."""
        self.widget.is_set = bool(stored)
        if stored:
            kept = gettext("Set (%(mask)s). Leave blank to keep it; type a new one to replace it.")
            self.help_text = kept % {"mask": stored.masked()}

    def has_changed(self, initial, data) -> bool:
        return data is CLEAR or bool(data)


# --- the form -----------------------------------------------------------------------------------

#: The form's secret inputs, named apart from the model's fields: each is the model's
#: ``webhook`` or ``secret`` for some kinds (the one ``secret`` column is a DingTalk signing secret, a WeCom application's Secret or an SMS key).
SECRET_INPUTS = {
    "webhook_url": ("webhook", ChannelKind.WECOM_ROBOT, ChannelKind.DINGTALK_ROBOT),
    "signing_secret": ("secret", ChannelKind.DINGTALK_ROBOT),
    "app_secret": ("secret", ChannelKind.WECOM_APP),
    "sms_secret": ("secret", ChannelKind.SMS),
}


def _robot_address_error(kind: str, address: str) -> str | None:
    """Why ``address`` is no webhook of a ``kind`` robot, or None. With DEBUG on, an address on
    this machine (a test's or a developer's stand-in platform) passes."""
    parts = urlsplit(address)
    if settings.DEBUG and parts.scheme in ("http", "https") and parts.hostname in LOOPBACK:
        return None
    query = parse_qs(parts.query)
    if kind == ChannelKind.WECOM_ROBOT:
        hosts = {"qyapi.weixin.qq.com", urlsplit(settings.WECOM_API_BASE).hostname}
        if (
            parts.scheme == "https"
            and parts.hostname in hosts
            and parts.path == "/cgi-bin/webhook/send"
            and query.get("key", [""])[0]
        ):
            return None
        return gettext(
            "A WeCom group robot's address looks like "
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…: copy it from the robot "
            "in the group (群机器人 → the robot → Webhook 地址)."
        )
    if (
        parts.scheme == "https"
        and parts.hostname == DINGTALK_HOST
        and parts.path == "/robot/send"
        and query.get("access_token", [""])[0]
    ):
        return None
    return gettext(
        "A DingTalk group robot's address looks like "
        "https://oapi.dingtalk.com/robot/send?access_token=…: copy it from the robot in the "
        "group's settings (群设置 → 机器人 → the robot → Webhook)."
    )


class ChannelForm(forms.ModelForm):
    city = forms.ChoiceField(
        label=_("city"),
        required=False,
        choices=lambda: [("", "—"), *city_choices()],
        help_text=_("Instead of a zone: the city's office, hearing of every zone of the city."),
    )
    # Named apart from the model's ``webhook``, which the admin's form would otherwise set from
    # the input as typed (blank: the stored address gone) after ``clean`` kept it.
    webhook_url = SecretFormField(
        label=_("webhook address"),
        help_text=_("The group robot's address, as the group's robot settings show it."),
    )
    signing_secret = SecretFormField(
        label=_("signing secret (加签)"),
        help_text=_("DingTalk only: the robot's signing secret, starting with SEC."),
    )
    app_secret = SecretFormField(label=_("application Secret"))
    sms_secret = SecretFormField(
        label=_("access key secret"),
        help_text=_("Alibaba: AccessKey secret. Tencent: SecretKey."),
    )

    class Meta:
        model = Channel
        fields = (
            "name",
            "kind",
            "zone",
            "city",
            "enabled",
            "corp_id",
            "agent_id",
            "sms_provider",
            "access_key_id",
            "sms_app_id",
            "sign_name",
            "template_code",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        #: The secrets as stored when the page was drawn: kept when their inputs stay blank.
        self.stored = {"webhook": self.instance.webhook, "secret": self.instance.secret}
        for name, (column, *kinds) in SECRET_INPUTS.items():
            if name in self.fields and self.instance.kind in kinds:
                self.fields[name].show_stored(self.stored[column])
        #: What the save did to each secret, for the audit record ("added", "changed",
        #: "removed"): never the text.
        self.secrets_changed: dict[str, str] = {}

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if bool(data.get("zone")) == bool(data.get("city")):
            raise forms.ValidationError(
                gettext("Choose either a zone or a city (its office hears of all its zones).")
            )
        if kind:
            self._secrets(kind, data)
            self._complete(kind, data)
        return data

    def _secrets(self, kind: str, data: dict) -> None:
        """The model's ``webhook`` and ``secret`` after this save: typed anew, cleared, or kept
        — unless the kind changed, for one kind's secret is no secret of another, or the kind
        uses none (then it goes)."""
        kept = self.instance.pk is not None and "kind" not in self.changed_data
        for column in ("webhook", "secret"):
            inputs = [
                n for n, (c, *kinds) in SECRET_INPUTS.items() if c == column and kind in kinds
            ]
            typed = data.get(inputs[0]) if inputs else CLEAR
            before = self.stored[column] if kept else Secret("")
            if typed is CLEAR:
                after = Secret("")
            elif typed:
                after = Secret(typed)
            else:
                after = before
            setattr(self.instance, column, after)
            stored = self.stored[column]
            if after != stored:
                self.secrets_changed[column] = (
                    "added" if not stored else "removed" if not after else "changed"
                )
        if kind not in (ChannelKind.WECOM_APP,):
            self.instance.corp_id = self.instance.agent_id = ""
            data["corp_id"] = data["agent_id"] = ""
        if kind != ChannelKind.SMS:
            for name in ("sms_provider", "access_key_id", "sms_app_id", "sign_name"):
                data[name] = ""
            data["template_code"] = ""

    def _complete(self, kind: str, data: dict) -> None:
        """Each kind's checks: the formats always; what it needs only to be on (a channel
        switched off may wait for a secret, or have a leaked one cleared)."""
        webhook = self.instance.webhook.reveal()
        secret = self.instance.secret.reveal()
        on = data.get("enabled")
        error = self.add_error
        if kind in (ChannelKind.WECOM_ROBOT, ChannelKind.DINGTALK_ROBOT):
            if webhook:
                why = _robot_address_error(kind, webhook)
                if why:
                    error("webhook_url", why)
            elif on:
                error("webhook_url", gettext("Paste the robot's webhook address."))
        if kind == ChannelKind.DINGTALK_ROBOT:
            if secret and not secret.startswith("SEC"):
                error(
                    "signing_secret",
                    gettext(
                        "A DingTalk signing secret starts with SEC, as the robot's 加签 shows it."
                    ),
                )
            elif not secret and on:
                error(
                    "signing_secret",
                    gettext(
                        "A DingTalk robot needs its signing secret (加签, starting with SEC): "
                        "the desk signs every message with it."
                    ),
                )
        if kind == ChannelKind.WECOM_APP:
            agent = data.get("agent_id", "")
            if agent and not agent.isdigit():
                error(
                    "agent_id",
                    gettext("The agent ID is a number (AgentId, on the application's page)."),
                )
            if on:
                if not data.get("corp_id"):
                    error(
                        "corp_id", gettext("Enter the corp ID (企业ID, under 我的企业 → 企业信息).")
                    )
                if not agent:
                    error("agent_id", gettext("Enter the application's agent ID (AgentId)."))
                if not secret:
                    error(
                        "app_secret",
                        gettext("Enter the application's Secret (on the application's page)."),
                    )
        if kind == ChannelKind.SMS:
            self._sms(data, secret, on)

    def _sms(self, data: dict, secret: str, on: bool) -> None:
        provider = data.get("sms_provider")
        if not on:
            return
        if not provider:
            self.add_error("sms_provider", gettext("Choose the SMS provider."))
            return
        if provider == SmsProvider.TEST:
            return
        needed = {
            "access_key_id": gettext(
                "Enter the access key ID (Alibaba: AccessKey ID; Tencent: SecretId)."
            ),
            "sign_name": gettext("Enter the approved SMS signature."),
            "template_code": gettext("Enter the approved template's code or ID."),
        }
        if provider == SmsProvider.TENCENT:
            needed["sms_app_id"] = gettext("Tencent Cloud SMS needs its SdkAppId.")
        for name, message in needed.items():
            if not data.get(name):
                self.add_error(name, message)
        if not secret:
            self.add_error("sms_secret", gettext("Enter the access key secret."))


# --- the admin ----------------------------------------------------------------------------------


@admin.register(Channel)
class ChannelAdmin(PageColumns, SafeAutocomplete, ModelAdmin):
    form = ChannelForm
    change_form_template = "admin/approvals/channel/change_form.html"
    # The offline banner, above the list and above the form (unfold's hooks).
    list_before_template = "admin/approvals/channel/offline_notice.html"
    change_form_outer_before_template = "admin/approvals/channel/offline_notice.html"
    list_display = ("name", "place", "kind", "on", "last_sent", "failures")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "zone__name", "city")
    list_select_related = ("zone",)
    sortable_by = ("name",)  # a few per zone: nothing to sort at scale
    autocomplete_fields = ("zone",)
    fieldsets = (
        (None, {"fields": ("name", "kind", "zone", "city", "enabled")}),
        (
            _("Group robot (WeCom, DingTalk)"),
            {
                "fields": ("webhook_url", "signing_secret"),
                "description": _(
                    "One digest a day per group. WeCom: the webhook only. DingTalk: the "
                    "webhook and its signing secret (加签)."
                ),
            },
        ),
        (
            _("WeCom application messages"),
            {
                "fields": ("corp_id", "agent_id", "app_secret"),
                "description": _(
                    "To each person by its WeCom user ID. The server's address must be in the "
                    "application's trusted IP list (企业可信IP)."
                ),
            },
        ),
        (
            _("SMS"),
            {
                "fields": (
                    "sms_provider",
                    "access_key_id",
                    "sms_secret",
                    "sms_app_id",
                    "sign_name",
                    "template_code",
                ),
                "description": _(
                    "To leaders only, and only for red items: zones pay per message. The "
                    "signature and the template (parameters <code>project</code>, "
                    "<code>what</code>, <code>days</code>) must be approved by the provider first."
                ),
            },
        ),
    )

    @admin.display(description=_("zone or city"))
    def place(self, obj: Channel) -> str:
        return str(obj.zone) if obj.zone_id else obj.city

    @admin.display(description=_("on"), boolean=True)
    def on(self, obj: Channel) -> bool:
        return obj.enabled and not settings.CHANNELS_OFFLINE

    @admin.display(description=_("last sent"))
    def last_sent(self, obj: Channel) -> str:
        return local_time(obj.last_sent_at)

    @admin.display(description=_("failures in the last 7 days"))
    def failures(self, obj: Channel) -> str:
        if not obj.failures_7d:
            return "0"
        return format_html('<span class="errornote">{}</span>', obj.failures_7d)

    def page_columns(self, request, rows) -> None:
        """The shown channels' health in one query: when each last delivered, and how many of
        its deliveries of the last days failed or are being retried after an error."""
        since = timezone.now() - dt.timedelta(days=HEALTH_DAYS)
        failing = Q(status=Delivery.FAILED) | Q(status=Delivery.PENDING, attempts__gt=0)
        health = {
            row["channel"]: row
            for row in Dispatch.objects.filter(channel__in=[r.pk for r in rows])
            .values("channel")
            .annotate(
                last=Max("sent_at"),
                failing=Count("pk", filter=failing & Q(created_at__gte=since)),
            )
            .order_by()
        }
        for row in rows:
            found = health.get(row.pk, {})
            row.last_sent_at = found.get("last")
            row.failures_7d = found.get("failing", 0)

    def get_queryset(self, request):
        return permissions.channels_kept(super().get_queryset(request), request.user)

    def _keeps(self, request, obj=None) -> bool:
        return permissions.may_keep_channel(request.user, obj)

    def has_module_permission(self, request) -> bool:
        return self._keeps(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._keeps(request, obj)

    def has_add_permission(self, request) -> bool:
        return self._keeps(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._keeps(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A channel that delivered keeps its deliveries (each reminder's page lists them):
        # it is switched off instead.
        if obj is not None and obj.dispatches.exists():
            return False
        return self._keeps(request, obj)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if settings.CHANNELS_OFFLINE:
            initial["enabled"] = False
        return initial

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**self._notice(), **(extra_context or {})})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(
            request, object_id, form_url, {**self._notice(), **(extra_context or {})}
        )

    def _notice(self) -> dict:
        return {"offline_notice": offline_notice() if settings.CHANNELS_OFFLINE else ""}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        testable = obj is not None and obj.kind in GROUP_KINDS and not settings.CHANNELS_OFFLINE
        extra_context = {**(extra_context or {}), "send_test": testable}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path(
                "<int:pk>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="approvals_channel_send_test",
            )
        ]
        return own + super().get_urls()

    def send_test_view(self, request, pk: int):
        """POST: a test message through the group robot now, and what the platform answered."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        channel = get_object_or_404(Channel, pk=pk)
        if not self._keeps(request, channel):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:approvals_channel_change", args=[pk]))
        if settings.CHANNELS_OFFLINE:
            self.message_user(request, offline_notice(), messages.WARNING)
            return back
        try:
            delivery.send_test(channel)
        except PlatformError as error:
            self.message_user(
                request,
                gettext("The test message did not go: %(error)s")
                % {"error": delivery.scrub(channel, error)},
                messages.ERROR,
            )
        else:
            self.message_user(
                request,
                gettext("Test message sent to %(channel)s: look for it in the group.")
                % {"channel": channel.name},
            )
        return back

    def save_model(self, request, obj: Channel, form: ChannelForm, change: bool) -> None:
        if not change and settings.CHANNELS_OFFLINE and obj.enabled:
            obj.enabled = False  # kept for the day the network reaches the platforms
            self.message_user(
                request,
                gettext("Saved switched off: this desk has no internet access (CHANNELS_OFFLINE)."),
                messages.WARNING,
            )
        before = None if not change else Channel.objects.filter(pk=obj.pk).first()
        super().save_model(request, obj, form, change)
        _record(obj, before, form.secrets_changed)


#: The fields an audit record names with their values; the secrets it names without them.
PLAIN_FIELDS = (*ChannelForm.Meta.fields,)


def _plain(obj: Channel) -> dict:
    values = {name: getattr(obj, name) for name in PLAIN_FIELDS if name != "zone"}
    return {**values, "zone": str(obj.zone) if obj.zone_id else ""}


def _record(obj: Channel, before: Channel | None, secrets_changed: dict[str, str]) -> None:
    """The audit record of a channel added or changed: each plain field's value before and
    after, and of each secret only whether it was added, changed or removed."""
    after = _plain(obj)
    if before is None:
        audit.record(
            AuditKind.CONFIGURATION,
            obj=obj,
            action="added",
            values=after,
            changed=secrets_changed,
        )
        return
    old = _plain(before)
    changed: dict = {name: [old[name], after[name]] for name in after if old[name] != after[name]}
    changed.update(secrets_changed)
    if changed:
        audit.record(AuditKind.CONFIGURATION, obj=obj, action="changed", changed=changed)


# --- a reminder's deliveries through the channels ---------------------------------------------


def deliveries_of(reminder) -> list[dict]:
    """The reminder's deliveries through the channels, as the reminder's page shows them (in
    one query; plain values, the template reads nothing): the channel and its kind, the
    status, attempts, when it was sent or is tried next, the last error."""
    rows = []
    for dispatch in Dispatch.objects.filter(reminder=reminder).select_related("channel"):
        pending = dispatch.status == Delivery.PENDING
        rows.append(
            {
                "channel": dispatch.channel.name,
                "kind": dispatch.channel.get_kind_display(),
                "status": dispatch.get_status_display(),
                "failed": dispatch.status == Delivery.FAILED,
                "attempts": dispatch.attempts,
                "next_attempt": local_time(dispatch.next_attempt_at) if pending else "—",
                "sent_at": local_time(dispatch.sent_at),
                "last_error": _short(dispatch.last_error),
            }
        )
    return rows


def _short(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
