"""The project's officer picked in a real browser through its autocomplete (select2 over the
project admin's people view): it finds a caseworker of the zone by name, never one of another
zone, and the choice is saved.

The browser and its fixtures: ``tests/browser_support.py``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser_support import change_url

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_picks_the_projects_officer_by_name(as_user, alice, bob, charlie, project):
    page = as_user(alice)
    page.goto(change_url(project))
    page.locator(".field-officer .select2-selection").click()
    search = page.locator(".select2-container--open .select2-search__field")
    options = page.locator(".select2-results__option")
    search.fill("查理")  # charlie, an officer of another zone
    expect(options).to_have_count(1)
    expect(options.first).to_have_class(re.compile("select2-results__message"))  # none found
    search.fill("鲍")
    expect(options).to_have_text([str(bob)])
    options.first.click()
    page.locator('[name="_save"]').first.click()
    expect(page.locator(".messagelist .success, .messagelist li")).not_to_have_count(0)
    project.refresh_from_db()
    assert project.officer == bob
