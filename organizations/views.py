"""Sign-in flow, organisation picker, role switching, the role-dispatching home, health."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from organizations.forms import RoleSwitchForm
from organizations.http import AuthenticatedRequest, TenantRequest
from organizations.queries import organizations_for_user
from organizations.roles import ROLE_LABELS, active_role, set_active_role

# The page each role lands on; each app owns its own home view.
ROLE_HOMES = {
    "learner": "pathways.views.learner_home",
    "admin": "pathways.views.admin_home",
    "coach": "coaching.views.coach_home",
    "sponsor": "measurement.views.sponsor_home",
}


def root(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("org_picker")


@login_required
@require_GET
def org_picker(request: AuthenticatedRequest) -> HttpResponse:
    orgs = organizations_for_user(request.user.pk)
    if len(orgs) == 1:
        return redirect("org_home", org_slug=orgs[0].slug)
    return render(request, "organizations/picker.html", {"orgs": orgs})


def org_home(request: TenantRequest, org_slug: str) -> HttpResponse:
    role = active_role(request)
    if role is None:
        raise Http404(_("You hold no role in this organisation."))
    view = import_string(ROLE_HOMES[role])
    return view(request, org_slug)


@require_POST
def switch_role(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = RoleSwitchForm(request.POST)
    if form.is_valid() and set_active_role(request, form.cleaned_data["role"]):
        messages.success(
            request,
            _("You are now working as %(role)s.")
            % {"role": ROLE_LABELS[form.cleaned_data["role"]]},
        )
    else:
        messages.error(request, _("That role is not one of yours here."))
    return redirect("org_home", org_slug=org_slug)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - health must report, not raise
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"] = "eager (tasks run in process)"
    else:
        from config.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"] = f"error: {type(exc).__name__}"
            healthy = False
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
