from __future__ import annotations

from django.urls import path

from organizations.accounts import views

urlpatterns = [
    path("security/", views.security_settings, name="security_settings"),
    path("security/events/", views.organization_events, name="organization_events"),
    path("security/sso/", views.sso_settings, name="sso_settings"),
]
