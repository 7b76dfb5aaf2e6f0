from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("pathways.learning.urls")),
    path("", include("pathways.library.urls")),
    path("", include("pathways.builder.urls")),
    path("", include("pathways.practice.urls")),
    path("", include("pathways.social.urls")),
    path("", include("pathways.cohorts.urls")),
    path("", include("pathways.scenarios.urls")),
    path("", include("pathways.xapi.urls")),
    path("", include("pathways.badges.urls")),
]
