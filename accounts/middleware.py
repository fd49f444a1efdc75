"""The authentication controls of ``accounts.security``, applied to every request.

After Django's ``AuthenticationMiddleware``, django-otp's ``OTPMiddleware`` (for
``request.user.is_verified()``) and the messages. For a logged-in person, in this order:

1. a session that is not the account's current one (a newer login) is logged out;
2. someone who needs a second factor and has not proved it this session is sent to prove it
   (or to enrol an authenticator first);
3. someone whose password is too old is sent to change it.

Until then only the pages that settle it (and logging out) open.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from accounts import security

#: Pages open to a person who has logged in but still owes a second factor or a new password.
SETTLING = {
    "second_factor": ("admin:second_factor", "admin:second_factor_enrol"),
    "password": ("admin:password_change", "admin:password_change_done"),
}
ALWAYS_OPEN = ("admin:logout", "admin:login", "admin:jsi18n")


class AuthenticationControlsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if security.ended_by_newer_login(request):
            logout(request)
            messages.warning(
                request,
                _("Your session was ended because your account logged in again elsewhere."),
            )
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        refusal = self.unsettled(request)
        if refusal is not None:
            return refusal
        key = request.session.session_key
        response = self.get_response(request)
        security.follow_new_session_key(user, key, request.session.session_key)
        return response

    def unsettled(self, request: HttpRequest) -> HttpResponse | None:
        """Where to send a person who may not open this page yet, or None."""
        if request.path.startswith(settings.STATIC_URL) or self.is_one_of(request, ALWAYS_OPEN):
            return None
        user = request.user
        if not user.is_verified() and security.needs_second_factor(user):
            if self.is_one_of(request, SETTLING["second_factor"]):
                return None
            enrolled = user_has_device(user, confirmed=True)
            url = reverse("admin:second_factor" if enrolled else "admin:second_factor_enrol")
            return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
        if security.password_expired(user):
            if self.is_one_of(request, SETTLING["password"]):
                return None
            messages.warning(
                request,
                _("Your password is older than %(days)d days: choose a new one to go on.")
                % {"days": settings.PASSWORD_MAX_AGE_DAYS},
            )
            return HttpResponseRedirect(reverse("admin:password_change"))
        return None

    @staticmethod
    def is_one_of(request: HttpRequest, names: tuple[str, ...]) -> bool:
        return request.path in {reverse(name) for name in names}
