from __future__ import annotations

from django.urls import path

from pathways.badges import views

# Under /o/<org>/ (signed in).
urlpatterns = [
    path("badges/", views.my_badges, name="my_badges"),
    path("badges/issued/", views.issued_badges, name="issued_badges"),
    path("badges/issued/<int:badge_id>/revoke/", views.badge_revoke, name="badge_revoke"),
]

# Under /badges/<org>/ (public, for hosted verification).
public_urlpatterns = [
    path("issuer", views.badge_issuer, name="badge_issuer"),
    path("pathways/<int:pathway_id>", views.badge_class, name="badge_class"),
    path("pathways/<int:pathway_id>/image.svg", views.badge_image, name="badge_image"),
    path("assertions/<uuid:uid>", views.badge_assertion, name="badge_assertion"),
]
