from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from coaching import views as coaching_views
from organizations import views as org_views
from organizations.api_docs import SwaggerUIView, redoc_view
from organizations.people import views as people_views
from organizations.url_dispatch import by_first_segment
from pathways.badges import urls as badge_urls
from projects import views as project_views

tenant_patterns = [
    path("", include("organizations.urls")),
    path("", include("competencies.urls")),
    path("", include("pathways.urls")),
    path("", include("projects.urls")),
    path("", include("measurement.urls")),
    path("", include("coaching.urls")),
    path("", include("measurement.feedback.urls")),
]

api_patterns = [
    path("", include("pathways.api")),
    path("", include("competencies.api")),
    path("", include("projects.api")),
    path("", include("pathways.xapi.api")),
    path("", include("pathways.badges.api")),
    path("", include("organizations.people.api")),
    path("", include("pathways.cohorts.api")),
    path("", include("pathways.library.api")),
    path("", include("pathways.builder.api")),
    path("", include("pathways.practice.api")),
    path("", include("measurement.feedback.api")),
    path("", include("coaching.api")),
    path("", include("measurement.api")),
]

site_patterns = [
    path("", org_views.root, name="root"),
    path("healthz", org_views.healthz, name="healthz"),
    # Ours first: password views that throttle, queue the reset e-mail and record events.
    path("accounts/", include("organizations.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("o/", org_views.org_picker, name="org_picker"),
    path("cal/<str:token>.ics", coaching_views.calendar_feed, name="calendar_feed"),
    path("invitations/<str:token>/", people_views.accept_invitation, name="accept_invitation"),
    path("r/project/<str:token>/", project_views.project_rating, name="project_rating"),
    path("", include("measurement.feedback.rater_urls")),
    path("o/<slug:org_slug>/", include(tenant_patterns)),
    path("api/v1/orgs/<slug:org_slug>/", include(api_patterns)),
    path("badges/<slug:org_slug>/", include(badge_urls.public_urlpatterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/v1/docs/", SwaggerUIView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/v1/redoc/", redoc_view(url_name="api_schema"), name="api_redoc"),
]

# Resolved by each path's first segment at every level of includes (organizations/url_dispatch.py).
urlpatterns = by_first_segment(site_patterns)
