from __future__ import annotations

from django.urls import path

from measurement import views

urlpatterns = [
    path("impact/", views.sponsor_home, name="sponsor_home"),
    path("impact/<int:cohort_id>/claims/", views.impact_claims, name="impact_claims"),
    path(
        "impact/<int:cohort_id>/metrics/<int:metric_id>/",
        views.impact_metric,
        name="impact_metric",
    ),
    path("impact/<int:cohort_id>/summary.pdf", views.impact_pdf, name="impact_pdf"),
]
