from __future__ import annotations

from django.urls import path

from measurement.growth import views

urlpatterns = [
    path("my-growth/", views.my_growth, name="learner_growth"),
    path(
        "coaching/engagements/<int:engagement_id>/growth/",
        views.coachee_growth,
        name="coachee_growth",
    ),
    path("coaching/patterns/", views.coach_patterns, name="coach_patterns"),
]
