"""The login form of ``/admin/login/`` (``UNFOLD["LOGIN"]["form"]``): errors that say what went
wrong in the person's words (guide section 12, "People").

- A wrong name or password — or an unknown name, or a deactivated account, which the backends
  answer like a wrong password — is "用户名或密码错误": the same answer for all three, so that
  it tells nobody which names exist (``accounts.security``: the lockout answers them alike too).
- The right password of an account that holds no role is "该账号尚未分配角色": a role is what
  lets a person in (``is_staff`` follows ``approvals.access.permissions.holds_a_role``). Only
  the right password gets this answer.

Django's own message blames the password and "staff status", which nobody here sets by hand.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or the password is wrong."),
        "inactive": _("The user name or the password is wrong."),
        "no_role": _(
            "This account has not been given a role yet: ask the system administrator to grant one."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        # The password was right. An inactive account is refused by the backends before this
        # (as a wrong password); the check stays for a backend that lets one through.
        if not user.is_active:
            raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["no_role"], code="no_role")
