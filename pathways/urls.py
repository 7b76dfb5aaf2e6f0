from __future__ import annotations

from django.urls import include, path

from pathways import views

urlpatterns = [
    path(
        "learn/enrollments/<int:enrollment_id>/steps/<int:step_id>/complete/",
        views.complete_step,
        name="complete_step",
    ),
    path("", include("pathways.learning.urls")),
    path("", include("pathways.library.urls")),
    path("", include("pathways.builder.urls")),
    path("", include("pathways.practice.urls")),
    path("", include("pathways.social.urls")),
    path("", include("pathways.cohorts.urls")),
    path("", include("pathways.scenarios.urls")),
]
