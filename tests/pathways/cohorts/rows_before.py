# ruff: noqa: E501
"""The cohort page's learner rows as they were written before each sentence was escaped once a
page (``pathways.cohorts.views._learner_table``): the tests hold the rows to these bytes."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django.middleware.csrf import get_token
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from organizations.html_parts import url_with_id
from organizations.http import TenantRequest
from organizations.page_frame import csrf_input
from pathways.cohorts.views import _Moments
from pathways.models import Enrollment


def learner_table_before(
    request: TenantRequest, org_slug: str, cohort_id: int, version: int, rows: Iterable[Any]
) -> SafeString:
    """The learners table's rows as HTML, put together in Python once per page: a template
    would resolve, translate and reverse in every row (the rows are what the template wrote:
    the same words, links, forms and accessible names). Empty without rows."""
    person = url_with_id("person_detail", org_slug)
    withdraw = url_with_id("enrollment_withdraw", org_slug, cohort_id)
    csrf = csrf_input(get_token(request))
    steps_of = _("%(done)s of %(total)s steps")
    progress_of = _("Progress of %(name)s")
    confirm = _(
        "Withdraw %(name)s from this cohort? Their steps stop appearing on their home page; "
        "their progress is kept and comes back if you add them again."
    )
    withdrawn_badge = f'<span class="badge badge--retired">{escape(_("Withdrawn"))}</span>'
    uncounted = f'<span class="muted">{escape(_("not counted yet"))}</span>'
    not_started = f'<span class="badge badge--locked">{escape(_("Not started"))}</span>'
    withdraw_word = escape(_("Withdraw"))
    moment = _Moments()
    overdue_badges: dict[int, str] = {}
    html = []
    for lp in rows:
        name = escape(lp.name)
        steps = escape(steps_of % {"done": lp.steps_done, "total": lp.steps_total})
        if lp.withdrawn:
            progress = (
                f'{withdrawn_badge}\n          <span class="progress-label">{steps}</span>\n'
                "          "
            )
        elif not lp.counted:
            progress = f"{uncounted}\n          "
        else:
            if lp.not_started:
                bar = not_started
            else:
                done = " progress--done" if lp.status == Enrollment.Status.COMPLETED else ""
                bar = (
                    f'<progress class="progress progress--small{done}"'
                    f' max="{lp.steps_total or 1}" value="{lp.steps_done}"'
                    f' aria-label="{escape(progress_of % {"name": lp.name})}"></progress>'
                )
            progress = f'{bar}\n          <span class="progress-label">{steps}</span>'
        overdue = lp.steps_overdue
        if not overdue:
            overdue_cell = "—"
        elif (overdue_cell := overdue_badges.get(overdue, "")) == "":
            words = ngettext("%(n)s step overdue", "%(n)s steps overdue", overdue) % {"n": overdue}
            overdue_cell = f'<span class="badge badge--overdue">{escape(words)}</span>'
            overdue_badges[overdue] = overdue_cell
        badge = (
            f' <span class="badge badge--draft">v{lp.version}</span>'
            if lp.version != version
            else ""
        )
        action = (
            ""
            if lp.withdrawn
            else (
                f'<form method="post" action="{withdraw(lp.enrollment_id)}"'
                f' data-confirm="{escape(confirm % {"name": lp.name})}">{csrf}'
                f'<button class="btn btn--link btn--small" type="submit">{withdraw_word}'
                f'<span class="visually-hidden"> {name}</span></button></form>'
            )
        )
        html.append(
            "\n      <tr>\n"
            f'        <th scope="row"><a href="{person(lp.membership_id)}">{name}</a>'
            f'<br><span class="muted">{escape(lp.email)}</span>{badge}</th>\n'
            f"        <td>{escape(lp.team) if lp.team else '—'}</td>\n"
            f"        <td>{progress}</td>\n"
            f"        <td>{overdue_cell}</td>\n"
            f"        <td>{moment(lp.last_activity) if lp.last_activity else '—'}</td>\n"
            f"        <td>{action}</td>\n"
            "      </tr>\n    "
        )
    return SafeString("".join(html))


# The learners section as ``pathways/cohorts/cohort_detail.html`` wrote it (its ``learners``
# partial, the htmx swap), before ``views._learners_section`` wrote it in Python.
LEARNERS_PARTIAL_BEFORE = (
    "{% load i18n %}"
    "\n"
    "{{ learners_top }}{% if rows %}\n"
    '  <div class="table-wrap"><table class="table">\n'
    '    <caption class="visually-hidden">{% translate "Learners and their progress" %}</caption>\n'
    '    <thead><tr><th scope="col">{% translate "Learner" %}</th><th scope="col">{% translate "Team" %}</th><th scope="col">{% translate "Progress" %}</th><th scope="col">{% translate "Overdue" %}</th><th scope="col">{% translate "Last step done" %}</th><th scope="col"><span class="visually-hidden">{% translate "Actions" %}</span></th></tr></thead>\n'
    "    <tbody>\n"
    "    {{ rows }}\n"
    "    </tbody>\n"
    "  </table></div>\n"
    '  {% include "includes/pagination.html" with target="cohort-learners" %}\n'
    '  {% translate "the learners in this view with their progress" as what %}{% include "includes/table_downloads.html" with query=query what=what %}\n'
    "  {% elif q %}\n"
    '  <div class="empty-state"><h2>{% translate "Nobody matches this search" %}</h2><p>{% translate "Try part of the name or of the e-mail address, or another view." %}</p></div>\n'
    '  {% elif show == "all" %}\n'
    '  <div class="empty-state"><h2>{% translate "No learners yet" %}</h2><p>{% translate "Add learners one by one by e-mail, or a whole team or function at once below." %}</p></div>\n'
    "  {% else %}\n"
    '  <p class="muted">{% translate "Nobody in this view." %}</p>\n'
    "  {% endif %}\n"
    "</section>\n"
)
