"""Growth pages: the learner's own, a coach's view of one coachee, a coach's patterns.

Each answers in the first screenful; each downloads its table (``?format=csv|xlsx``). Admins
and sponsors have no page here (404): an individual's growth is the learner's, and their
coach's as far as the learner shares it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from measurement.growth import charts, page, queries, rows
from organizations.exports import requested_format, tabular_response
from organizations.html_parts import blocktranslate
from organizations.http import TenantRequest
from organizations.page_frame import page_response, plotly_script
from organizations.roles import role_required
from organizations.words import words


def _picture_page(
    request: TenantRequest, org_slug: str, picture: queries.GrowthPicture, name: str
) -> Any:
    fmt = requested_format(request)
    if fmt:
        return tabular_response(fmt, name, *queries.growth_table(picture))
    figure = charts.growth_figure(picture) if picture.charted else None
    content = page.content_html(
        picture,
        org_slug,
        figure,
        chart_rows=rows.chart_rows(picture) if figure and picture.competencies else "",
        competency_cards=rows.competency_cards(picture, org_slug) if picture.competencies else "",
    )
    if picture.learner_view:
        title = words().literal("My growth")
    else:
        title = blocktranslate("Growth: %(name)s", name=picture.person)
    head = plotly_script(request) if figure else ""
    return page_response(request, title, content, head=head)


@require_GET
@role_required("learner")
def my_growth(request: TenantRequest, org_slug: str) -> HttpResponse:
    """Am I growing, and where: 360 change, pulses, observations, knowledge and goals."""
    # The member is the signed-in user: their name needs no read of its own.
    picture = queries.learner_growth(request.membership, request.user.display_name)
    return _picture_page(request, org_slug, picture, "my-growth")


@require_GET
@role_required("coach")
def coachee_growth(request: TenantRequest, org_slug: str, engagement_id: int) -> HttpResponse:
    """The same picture for the coach of the engagement, 360 only where shared with them."""
    picture = queries.coachee_growth(request.membership, engagement_id)
    if picture is None:
        raise Http404("Not your coachee.")
    return _picture_page(request, org_slug, picture, f"growth-{picture.person}")


@require_GET
@role_required("coach")
def coach_patterns(request: TenantRequest, org_slug: str) -> HttpResponse:
    """Which competencies move across the coach's coachees of a cohort (aggregates only)."""
    raw = request.GET.get("cohort", "")
    patterns = queries.coach_patterns(request.membership, int(raw) if raw.isdigit() else None)
    fmt = requested_format(request)
    if fmt:
        name = f"patterns-{patterns.selected.name if patterns.selected else 'none'}"
        return tabular_response(fmt, name, *queries.patterns_table(patterns))
    figure = charts.patterns_figure(patterns) if patterns.moving else None
    query = f"cohort={patterns.selected.id}" if patterns.selected else ""
    return render(
        request,
        "measurement/growth_patterns.html",
        {"patterns": patterns, "figure": figure, "query": query},
    )
