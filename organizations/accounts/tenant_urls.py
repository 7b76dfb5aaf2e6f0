from __future__ import annotations

from django.urls import path

from organizations.accounts import views
from organizations.gdpr import views as gdpr_views

urlpatterns = [
    path("security/", views.security_settings, name="security_settings"),
    path("security/events/", views.organization_events, name="organization_events"),
    path("security/sso/", views.sso_settings, name="sso_settings"),
    path("security/erasures/", gdpr_views.erasure_receipts, name="erasure_receipts"),
    path("people/<int:membership_id>/erase/", gdpr_views.erase_person, name="erase_person"),
]
