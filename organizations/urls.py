from __future__ import annotations

from django.urls import include, path

from organizations import views

urlpatterns = [
    path("", views.org_home, name="org_home"),
    path("role/", views.switch_role, name="switch_role"),
    path("", include("organizations.people.urls")),
    path("", include("organizations.api_keys.urls")),
]
