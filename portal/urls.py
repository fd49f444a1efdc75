from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("<str:token>/", views.page, name="page"),
    path("<str:token>/request/", views.help_request, name="request"),
]
