"""The second factor's two pages (TOTP through django-otp): enrolling an authenticator app and
proving a code at login. Both are admin pages (``admin:second_factor_enrol`` and
``admin:second_factor``) drawn like the login page; who must pass them is decided in
``accounts.security`` and enforced by ``accounts.middleware``."""

from __future__ import annotations

import base64
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from unfold.widgets import UnfoldAdminTextInputWidget

from accounts.signals import second_factor_throttled


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": gettext_lazy("Enter the six digits your app shows.")},
        widget=UnfoldAdminTextInputWidget(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, device: TOTPDevice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            # Refused unchecked, so django-otp counts no failure (and saves nothing, which is
            # what records the wrong codes): recorded here, a guess under the throttle too.
            second_factor_throttled.send(sender=type(self.device), device=self.device)
            raise forms.ValidationError(
                _("Too many wrong codes: wait a moment, then enter the code your app shows.")
            )
        # verify_token refuses a code already used (replay) and counts wrong ones (throttle).
        if not self.device.verify_token(code):
            raise forms.ValidationError(
                _("This code is not right, or no longer valid. Enter the code shown now.")
            )
        return code


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    context = {**admin.site.each_context(request), "next": _next_url(request), **context}
    return render(request, template, context)


def _verified(request: HttpRequest, device: TOTPDevice) -> None:
    """The session proved the second factor: it counts as verified, under a new key (as a login
    gives one), so that a session id seen before the proof is worth nothing after it."""
    request.session.cycle_key()
    otp_login(request, device)


def verify(request: HttpRequest) -> HttpResponse:
    """A code from the enrolled authenticator: the session counts as verified from now on."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None:
        return HttpResponseRedirect(
            f"{reverse('admin:second_factor_enrol')}?{request.GET.urlencode()}"
        )
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        _verified(request, device)
        return HttpResponseRedirect(_next_url(request))
    return _page(request, "admin/security/second_factor.html", title=_("Second factor"), form=form)


def enrol(request: HttpRequest) -> HttpResponse:
    """A new authenticator: a secret shown as a QR code (and as text), confirmed by a code.

    Only for an account without a confirmed one: replacing it takes the security
    administrator, so that a stolen password alone cannot enrol the thief's phone."""
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return HttpResponseRedirect(f"{reverse('admin:second_factor')}?{request.GET.urlencode()}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name=_("Authenticator app"), confirmed=False
        )
    form = CodeForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _verified(request, device)
        messages.success(request, _("Your authenticator app is enrolled."))
        return HttpResponseRedirect(_next_url(request))
    secret = b32encode(device.bin_key).decode()
    return _page(
        request,
        "admin/security/enrol.html",
        title=_("Enrol an authenticator app"),
        form=form,
        qr_code=qr_data_uri(device.config_url),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


def qr_data_uri(text: str) -> str:
    """``text`` as a QR code, an SVG inside a data URI: drawn here, fetched from nowhere."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()
