from django.contrib import admin
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import include, path
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from accounts import second_factor
from api.admin import my_tokens_page
from approvals.admin.reach import my_channels_page
from approvals.admin.reports import reports_page
from approvals.admin.three_lists import three_lists_page
from projectdesk import unfold

# admin.site is django-unfold's site (its app replaces it): the site's names and the sidebar
# are in settings.UNFOLD and projectdesk/unfold.py.
admin.site.index_title = _("Projects and approvals")
admin.site.empty_value_display = "—"  # one dash for "nothing" on every page

# Pages of the admin that belong to no model (报表) join its URLs, so that they are named
# "admin:…", need its login and draw its frame. Before the admin's own: its last pattern
# takes any "<app_label>/".
admin_urls, app_name, namespace = admin.site.urls
own_pages = [
    path("reports/", admin.site.admin_view(reports_page), name="reports"),
    path("three-lists/", admin.site.admin_view(three_lists_page), name="three_lists"),
    # unfold's search page under its own address and name ("admin:search" reverses to it),
    # answered here first: a page number that is no page is "not found", not a 500.
    path("search/", admin.site.admin_view(unfold.search)),
    # One's own API tokens, for scripts (api/, issue 22).
    path("api-tokens/", admin.site.admin_view(my_tokens_page), name="api_my_tokens"),
    # Where one's reminders reach one besides the inbox (issue 23).
    path("my-channels/", admin.site.admin_view(my_channels_page), name="my_channels"),
    # The second factor after the password (accounts/second_factor.py, issue 12).
    path("second-factor/", admin.site.admin_view(second_factor.verify), name="second_factor"),
    path(
        "second-factor/enrol/",
        admin.site.admin_view(second_factor.enrol),
        name="second_factor_enrol",
    ),
]


def favicon(request):
    """/favicon.ico, which browsers ask for on every page whatever the page links: the desk's
    icon under its static name (hashed with DEBUG off, so a redirect that is not permanent and
    a day's cache: a new release's icon is found the next day)."""
    response = HttpResponseRedirect(unfold.favicon_ico(request))
    patch_cache_control(response, max_age=24 * 3600)
    return response


urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("favicon.ico", favicon),
    path("admin/", include((own_pages + admin_urls, app_name), namespace=namespace)),
    # The API for the city's and the province's platforms (issue 22).
    path("api/v1/", include("api.urls")),
    # The investor's page (portal/, issue 22): one address per personal link, no login.
    path("portal/", include("portal.urls")),
]
# Uploaded evidence is not served from MEDIA_URL: the stage request page serves each file to
# the people who may see the request.


def permission_denied(request, exception=None):
    """A refusal as a page of the admin (its sidebar, header and colours), in Chinese."""
    context = {**admin.site.each_context(request), "title": _("Not allowed")}
    return TemplateResponse(request, "403.html", context, status=403)


def bad_request(request, exception=None):
    """A request the desk cannot read (a filter no list offers, a NUL character, a forged
    parameter) as a page of the admin in Chinese, instead of Django's bare "Bad Request"."""
    context = {**admin.site.each_context(request), "title": _("This address cannot be read")}
    return TemplateResponse(request, "400.html", context, status=400)


handler400 = bad_request
handler403 = permission_denied
# A busy database met outside a view (e.g. saving the session) is the busy page, not a bare 500.
handler500 = "projectdesk.busy.server_error"
