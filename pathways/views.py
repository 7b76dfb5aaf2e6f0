"""HTML views for learners and admins (thin: resolve, validate, call a service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from measurement.queries import programme_health
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways import queries, services
from pathways.learning import queries as learning_queries


@role_required("learner")
def learner_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    home = learning_queries.learner_home(request.membership, org_slug)
    return render(request, "pathways/learner_home.html", {"home": home})


@role_required("admin")
def admin_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    health = programme_health()
    return render(
        request, "pathways/admin_home.html", {"cohorts": health.cohorts, "health": health}
    )


@require_POST
@role_required("learner")
def complete_step(
    request: TenantRequest, org_slug: str, enrollment_id: int, step_id: int
) -> HttpResponse:
    try:
        services.do_complete_step(request.membership, enrollment_id, step_id)
    except ObjectDoesNotExist as exc:
        raise Http404(_("No such step in your pathways.")) from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not request.htmx:  # an htmx swap shows the updated card itself
            messages.success(request, _("Step marked done. Well done!"))
    if request.htmx:
        enrollments = queries.learner_enrollments(request.membership)
        enrollment = next((e for e in enrollments if e.id == enrollment_id), None)
        if enrollment is None:
            raise Http404
        return render(
            request, "pathways/learner_home.html#enrollment-card", {"enrollment": enrollment}
        )
    return redirect("org_home", org_slug=org_slug)
