from __future__ import annotations

from django.urls import include, path

from organizations import views as org_views
from organizations.people import views as people_views

tenant_patterns = [
    path("", include("organizations.urls")),
    path("", include("competencies.urls")),
    path("", include("pathways.urls")),
    path("", include("projects.urls")),
    path("", include("measurement.urls")),
    path("", include("coaching.urls")),
]

api_patterns = [
    path("", include("pathways.api")),
]

urlpatterns = [
    path("", org_views.root, name="root"),
    path("healthz", org_views.healthz, name="healthz"),
    # Ours first: password views that throttle, queue the reset e-mail and record events.
    path("accounts/", include("organizations.accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("o/", org_views.org_picker, name="org_picker"),
    path("invitations/<str:token>/", people_views.accept_invitation, name="accept_invitation"),
    path("o/<slug:org_slug>/", include(tenant_patterns)),
    path("api/v1/orgs/<slug:org_slug>/", include(api_patterns)),
]
