"""Badge pages: the public hosted-verification JSON, the learner's badges, the admin's list."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.models import Organization
from organizations.roles import role_required
from organizations.tenancy import tenant_context
from pathways.badges import documents, queries, services
from pathways.models import BadgeAssertion, Pathway


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _public_org(org_slug: str) -> Organization:
    org = Organization.objects.filter(slug=org_slug, is_active=True).first()
    if org is None:
        raise Http404("No such issuer.")
    return org


def _json(doc: dict[str, object], status: int = 200) -> JsonResponse:
    response = JsonResponse(doc, status=status, json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"  # verifiers fetch these from other sites
    return response


# --- Public: hosted verification (no sign-in) --------------------------------------------------


def badge_issuer(request: HttpRequest, org_slug: str) -> JsonResponse:
    return _json(documents.issuer(_base(request), _public_org(org_slug)))


def badge_class(request: HttpRequest, org_slug: str, pathway_id: int) -> JsonResponse:
    org = _public_org(org_slug)
    with tenant_context(org):
        # Only pathways that have issued a badge are public.
        if not BadgeAssertion.objects.filter(pathway_id=pathway_id).exists():
            raise Http404("No such badge.")
        pathway = get_object_or_404(Pathway, pk=pathway_id)
        return _json(documents.badge_class(_base(request), org, pathway))


def badge_image(request: HttpRequest, org_slug: str, pathway_id: int) -> HttpResponse:
    org = _public_org(org_slug)
    with tenant_context(org):
        if not BadgeAssertion.objects.filter(pathway_id=pathway_id).exists():
            raise Http404("No such badge.")
        pathway = get_object_or_404(Pathway, pk=pathway_id)
        return HttpResponse(documents.image_svg(pathway), content_type="image/svg+xml")


def badge_assertion(request: HttpRequest, org_slug: str, uid: uuid.UUID) -> JsonResponse:
    """The assertion; a revoked one answers 410 Gone and says ``revoked`` with the reason."""
    org = _public_org(org_slug)
    with tenant_context(org):
        badge = get_object_or_404(BadgeAssertion, uid=uid)
        response = _json(
            documents.assertion(_base(request), org, badge), status=410 if badge.is_revoked else 200
        )
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="badge-{badge.uid}.json"'
    return response


# --- Signed in ------------------------------------------------------------------------------


@role_required("learner")
def my_badges(request: TenantRequest, org_slug: str) -> HttpResponse:
    badges = queries.learner_badges(request.membership)
    base = _base(request)
    rows = [(b, f"{base}/badges/{org_slug}/assertions/{b.uid}") for b in badges]
    return render(request, "pathways/badges/my_badges.html", {"rows": rows})


@role_required("admin")
def issued_badges(request: TenantRequest, org_slug: str) -> HttpResponse:
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.issued_badges_export_rows(f"{_base(request)}/badges/{org_slug}/assertions/")
        return tabular_response(fmt, f"{org_slug}-badges", queries.BADGE_EXPORT_HEADERS, rows)
    page, badges = queries.issued_badges_page(request.GET.get("page"))
    return render(
        request,
        "pathways/badges/issued_badges.html",
        {"page": page, "badges": badges, "query": "", "errors": {}},
    )


@require_POST
@role_required("admin")
def badge_revoke(request: TenantRequest, org_slug: str, badge_id: int) -> HttpResponse:
    badge = get_object_or_404(BadgeAssertion, pk=badge_id)
    try:
        services.do_revoke_badge(request.user, badge.pk, request.POST.get("reason", ""))
    except ValidationError as exc:
        page, badges = queries.issued_badges_page(request.GET.get("page"))
        context = {"page": page, "badges": badges, "query": "", "errors": {badge.pk: exc.messages}}
        return render(request, "pathways/badges/issued_badges.html", context, status=400)
    messages.success(request, _("Revoked the badge. Its public page now says it is revoked."))
    return redirect("issued_badges", org_slug=org_slug)
