"""Another URLconf for the reversed-once addresses' tests: the same names at other paths."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path


def _page(request: object, **kwargs: object) -> HttpResponse:
    return HttpResponse()


urlpatterns = [
    path("elsewhere/<slug:org_slug>/people/", _page, name="people_list"),
    path("elsewhere/<slug:org_slug>/cohorts/<int:cohort_id>/", _page, name="cohort_detail"),
    path(
        "elsewhere/<slug:org_slug>/learn/<int:enrollment_id>/<int:step_id>/",
        _page,
        name="learning_step",
    ),
]
