from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from coaching import views as coaching_views
from organizations import views as org_views
from organizations.api_docs import RedocView, SwaggerUIView
from organizations.forms import EmailAuthenticationForm
from organizations.people import views as people_views
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
    path("", include("measurement.api")),
]

urlpatterns = [
    path("", org_views.root, name="root"),
    path("healthz", org_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("o/", org_views.org_picker, name="org_picker"),
    path("cal/<str:token>.ics", coaching_views.calendar_feed, name="calendar_feed"),
    path("invitations/<str:token>/", people_views.accept_invitation, name="accept_invitation"),
    path("r/project/<str:token>/", project_views.project_rating, name="project_rating"),
    path("", include("measurement.feedback.rater_urls")),
    path("o/<slug:org_slug>/", include(tenant_patterns)),
    path("api/v1/orgs/<slug:org_slug>/", include(api_patterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/v1/docs/", SwaggerUIView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/v1/redoc/", RedocView.as_view(url_name="api_schema"), name="api_redoc"),
]
