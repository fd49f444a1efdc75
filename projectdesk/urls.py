from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

admin.site.site_header = admin.site.site_title = _("ProjectDesk full-proxy service desk")
admin.site.index_title = _("Projects and approvals")
# The lists are wide (project, zone, dates, status); the index already lists every page.
admin.site.enable_nav_sidebar = False
admin.site.empty_value_display = "—"  # one dash for "nothing" on every page

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
# Uploaded evidence is not served from MEDIA_URL: the stage request page serves each file to
# the people who may see the request.
