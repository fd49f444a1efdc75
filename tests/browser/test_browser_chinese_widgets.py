"""The admin's JavaScript widgets speak Chinese (guide section 12, "Everything in Chinese"): the
date picker's shortcuts and calendar, and the strings of the filter widget, come from the
JavaScript catalogue (/admin/jsi18n/, Django's zh_Hans djangojs with
projectdesk/locale_vendor's over it), loaded in Chinese.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_date_picker_on_a_change_form_is_in_chinese(as_user, superuser):
    page = as_user(superuser)
    page.goto(reverse("admin:approvals_calendarday_add"))
    shortcuts = page.locator(".field-day .datetimeshortcuts")
    expect(shortcuts.locator("a").first).to_have_text("今天")
    shortcuts.locator("a").nth(1).click()  # the calendar's icon
    calendar = page.locator("#calendarbox0")
    expect(calendar).to_be_visible()
    expect(calendar.locator("caption")).to_contain_text("月")
    # The week's days, from Monday in China (zh_Hans's FIRST_DAY_OF_WEEK)
    expect(calendar.locator("th")).to_have_text(["一", "二", "三", "四", "五", "六", "日"])
    expect(calendar.locator(".calendar-shortcuts")).to_contain_text("今天")
    expect(calendar.locator(".calendar-cancel")).to_have_text("取消")


def test_the_filter_widgets_strings_are_in_chinese(as_user, superuser):
    """Django's own zh_Hans lacks the filter widget's strings of Django 5 ("Choose all %s",
    "(click to clear)"): locale_vendor's djangojs gives them."""
    page = as_user(superuser)
    page.goto(reverse("admin:approvals_calendarday_add"))
    said = page.evaluate(
        "[gettext('Today'), gettext('Choose all %s'), gettext('(click to clear)'),"
        " gettext('Remove all %s'), gettext('Choose a Time')]"
    )
    assert said == ["今天", "全选%s", "（点击清除）", "全部移除%s", "选择一个时间"]
