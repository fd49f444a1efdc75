"""``/api/v1/``: the endpoints, the OpenAPI schema and its docs page (Swagger UI from our own
static files, drf-spectacular-sidecar)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views, writes

router = DefaultRouter()
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("batches", views.BatchViewSet, basename="batch")
router.register("entries", views.EntryViewSet, basename="entry")
router.register("problems", views.ProblemViewSet, basename="problem")
router.register("monthly", views.MonthlyViewSet, basename="monthly")
router.register("reports", views.ReportViewSet, basename="report")
router.register("imports", writes.ImportViewSet, basename="import")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view: its script is a file of its own, which the CSP admits (no inline script)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]
