from __future__ import annotations

from django.urls import path

from measurement import views
from measurement.growth import urls as growth_urls

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

urlpatterns += [
    path("impact/setup/", views.impact_setup, name="impact_setup"),
    path("impact/metrics/new/", views.metric_create, name="metric_create"),
    path("impact/metrics/<int:metric_id>/", views.metric_values, name="metric_values"),
    path("impact/metrics/import/", views.metric_import, name="metric_import"),
    path(
        "impact/metrics/import/<int:import_id>/",
        views.metric_import_detail,
        name="metric_import_detail",
    ),
    path("impact/cohorts/<int:cohort_id>/plan/", views.plan_edit, name="plan_edit"),
    path("impact/cohorts/<int:cohort_id>/costs/", views.cohort_costs, name="cohort_costs"),
    path(
        "impact/cohorts/<int:cohort_id>/costs/<int:line_id>/delete/",
        views.cost_delete,
        name="cost_delete",
    ),
]

urlpatterns += [path("impact/team/", views.team_dashboard, name="team_dashboard")]

# Individual growth (measurement.growth): the learner's page and the coach's views.
urlpatterns += growth_urls.urlpatterns
