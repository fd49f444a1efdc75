from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from approvals.admin.reports import reports_page

admin.site.site_header = admin.site.site_title = _("ProjectDesk full-proxy service desk")
admin.site.index_title = _("Projects and approvals")
# The lists are wide (project, zone, dates, status); the index already lists every page.
admin.site.enable_nav_sidebar = False
admin.site.empty_value_display = "—"  # one dash for "nothing" on every page

# Pages of the admin that belong to no model (报表) join its URLs, so that they are named
# "admin:…", need its login and draw its frame. Before the admin's own: its last pattern
# takes any "<app_label>/".
admin_urls, app_name, namespace = admin.site.urls
own_pages = [path("reports/", admin.site.admin_view(reports_page), name="reports")]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", include((own_pages + admin_urls, app_name), namespace=namespace)),
]
# Uploaded evidence is not served from MEDIA_URL: the stage request page serves each file to
# the people who may see the request.
