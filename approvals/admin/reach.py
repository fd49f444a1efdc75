"""Where reminders reach a person besides the desk's inbox (issue 23): its mobile number, its
企业微信 user ID and the channels it chooses — on its own page, 我的提醒方式 (whoever holds a
role), and on its page in 设置 → 人员与角色 (the system administrator, ``ReachForm`` in the work
contact's row of ``approvals/admin/zones.py``). The inbox is always on: nothing here turns it off.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminTextInputWidget, UnfoldBooleanSwitchWidget

from accounts.models import Profile
from approvals.access import permissions

#: The choices a person makes, as the form and the person's page name them.
REACH_FIELDS = ("mobile", "wecom_userid", "by_email", "by_wecom", "by_sms", "in_groups")
#: What each tick means, beside it (the model's labels say only where).
HELP = {
    "by_email": _("To the e-mail address of your account."),
    "by_wecom": _(
        "A WeCom application message to you, where your zone has set up its application "
        "(needs your WeCom user ID)."
    ),
    "by_sms": _(
        "SMS reaches leaders only, and only for red items (zones pay per message; needs your "
        "mobile number)."
    ),
    "in_groups": _(
        "Your name @mentioned in your zone's daily digest in its WeCom or DingTalk group "
        "(WeCom: by your user ID; DingTalk: by your mobile number)."
    ),
}
MOBILE = re.compile(r"1[3-9]\d{9}")
WECOM_USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


class ReachForm(forms.ModelForm):
    """A person's mobile, 企业微信 user ID and chosen channels. Only its model's fields, none
    declared: the person's page shows the security administrator the work phone alone, and a
    declared field would be saved blank by a form that does not show it."""

    class Meta:
        model = Profile
        fields = ("work_phone", *REACH_FIELDS)
        widgets = {
            "mobile": UnfoldAdminTextInputWidget(attrs={"inputmode": "tel"}),
            "wecom_userid": UnfoldAdminTextInputWidget(),
            **{name: UnfoldBooleanSwitchWidget() for name in REACH_FIELDS[2:]},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, text in HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text

    def clean_mobile(self) -> str:
        typed = self.cleaned_data.get("mobile", "")
        number = re.sub(r"[\s-]", "", typed).removeprefix("+86")
        if number and not MOBILE.fullmatch(number):
            raise forms.ValidationError(
                gettext("A mobile number has 11 digits and starts with 1 (e.g. 13912345678).")
            )
        return number

    def clean_wecom_userid(self) -> str:
        typed = self.cleaned_data.get("wecom_userid", "").strip()
        if typed and not WECOM_USERID.fullmatch(typed):
            raise forms.ValidationError(
                gettext(
                    "A WeCom user ID is the member's account in WeCom (通讯录 → the member → "
                    "账号): letters, digits and _ - . @ only."
                )
            )
        return typed


class MyReachForm(ReachForm):
    class Meta(ReachForm.Meta):
        fields = REACH_FIELDS


def my_channels_page(request):
    """我的提醒方式: where one's own reminders reach one, besides the inbox."""
    if not permissions.may_set_reach(request.user, request.user):
        raise PermissionDenied
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = MyReachForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, gettext("Saved: your reminders reach you as chosen."))
        return HttpResponseRedirect(reverse("admin:my_channels"))
    context = {
        **admin.site.each_context(request),
        "title": gettext("How my reminders reach me"),
        "form": form,
        "email": request.user.email,
    }
    return TemplateResponse(request, "admin/approvals/my_channels.html", context)
