from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from coaching import queries
from organizations.http import TenantRequest
from organizations.roles import role_required


@role_required("coach")
def coach_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    return render(
        request, "coaching/coach_home.html", {"roster": queries.coachees_of(request.membership)}
    )
