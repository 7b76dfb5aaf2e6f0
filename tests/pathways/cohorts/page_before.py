# ruff: noqa: E501
"""The cohort page's header and forms as they were written before they were put together with
the page's own words and dates (``pathways.cohorts.views._header`` and ``_forms``): the tests
hold the page to these bytes."""

from __future__ import annotations

from html import escape

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from organizations.html_parts import url as _url
from organizations.listed_fields import field_html
from organizations.templatetags.relative_dates import relative_time
from organizations.words import translated as _
from pathways.cohorts import queries
from pathways.cohorts.forms import AddLearnerForm, StaffForm


def header_before(
    org_slug: str,
    detail: queries.CohortOverview,
    last_reminder: queries.ReminderSent | None,
    csrf: str,
) -> SafeString:
    """The page's header, its figures and their freshness: what the template wrote, put
    together in Python (the same words, links and forms)."""
    cohort = detail.cohort
    args = (org_slug, cohort.pk)
    lead = _("%(pathway)s (version %(version)s), from %(start)s") % {
        "pathway": escape(detail.pathway),
        "version": detail.version,
        "start": escape(date_format(cohort.start_date, "j M Y")),
    }
    if cohort.end_date:
        lead += " " + _("to %(end)s") % {"end": escape(date_format(cohort.end_date, "j M Y"))}
    withdrawn = ""
    if detail.withdrawn:
        n = detail.withdrawn
        words_ = ngettext("plus %(n)s withdrawn", "plus %(n)s withdrawn", n) % {"n": n}
        withdrawn = f'<span class="stat__base">{words_}</span>'
    overdue = detail.learners_overdue
    remind = ""
    if overdue:
        confirm = ngettext(
            "E-mail a reminder to %(n)s overdue learner, listing their overdue steps? "
            "You can send one reminder a day.",
            "E-mail a reminder to %(n)s overdue learners, each listing their overdue steps? "
            "You can send one reminder a day.",
            overdue,
        ) % {"n": overdue}
        remind = (
            f'<form method="post" action="{escape(_url("cohort_remind_overdue", *args))}"'
            f' data-confirm="{confirm}">{csrf}<button class="btn btn--secondary btn--small"'
            f' type="submit">{_("Remind overdue learners")}</button></form>'
        )
    reminded = ""
    if last_reminder:
        n = last_reminder.learners
        if last_reminder.sent_at:
            sent = ngettext(
                "Last reminder e-mailed %(when)s to %(n)s learner",
                "Last reminder e-mailed %(when)s to %(n)s learners",
                n,
            ) % {"when": relative_time(last_reminder.sent_at, "dated"), "n": n}
        else:
            sent = ngettext(
                "A reminder to %(n)s learner is on its way.",
                "A reminder to %(n)s learners is on its way.",
                n,
            ) % {"n": n}
        reminded = f'<p class="stat__base">{sent}</p>'
    if detail.as_of:
        fresh = _(
            "Progress as of %(when)s: it is counted again whenever a learner completes a step, "
            "and every night."
        ) % {"when": relative_time(detail.as_of, "dated")}
    else:
        fresh = _(
            "Progress has not been counted yet: it appears within a minute of the first "
            "learner's activity, and every night."
        )
    if detail.pending:
        fresh += " " + ngettext(
            "%(n)s learner added since then is counted next time.",
            "%(n)s learners added since then are counted next time.",
            detail.pending,
        ) % {"n": detail.pending}
    behind = ngettext("%(n)s learner behind", "%(n)s learners behind", overdue) % {"n": overdue}
    steps = _("%(done)s of %(possible)s required steps") % {
        "done": detail.steps_done,
        "possible": detail.steps_possible,
    }
    counted = _("of %(n)s learners counted") % {"n": detail.counted}
    return SafeString(
        '<header class="page-header split">\n  <div>\n'
        f'    <p><a href="{escape(_url("cohort_list", org_slug))}">← {_("Cohorts")}'
        "</a></p>\n"
        f'    <h1 class="page-header__title">{escape(cohort.name)}</h1>\n'
        f'    <p class="page-header__lead">{lead} · <span class="badge badge--info">'
        f"{escape(cohort.get_status_display())}</span></p>\n"
        "  </div>\n"
        '  <div class="page-header__actions cluster">\n'
        f'    <a class="btn btn--primary" href="#add-learners">{_("Add learners")}</a>\n'
        f'    <a class="btn btn--secondary" href="{escape(_url("cohort_edit", *args))}">'
        f"{_('Edit')}</a>\n"
        f'    <a class="btn btn--link" href="{escape(_url("cohort_statements", *args))}"'
        f" download>{_('Completions as xAPI (JSON)')}</a>\n"
        "  </div>\n</header>\n\n"
        '<div class="grid">\n'
        f'  <div class="stat"><span class="stat__value">{detail.active}</span>'
        f' <span class="stat__label">{_("learners")}</span>{withdrawn}</div>\n'
        f'  <div class="stat"><span class="stat__value">{detail.percent}%</span>'
        f' <span class="stat__label">{_("of steps done")}</span>'
        f'<span class="stat__base">{steps}</span></div>\n'
        f'  <div class="stat"><span class="stat__value">{detail.overdue_steps}</span>'
        f' <span class="stat__label">{_("overdue steps")}</span>'
        f'<span class="stat__base">{behind}</span>\n'
        f"    {remind}\n"
        f"    {reminded}</div>\n"
        f'  <div class="stat"><span class="stat__value">{detail.not_started}</span>'
        f' <span class="stat__label">{_("not started")}</span>'
        f'<span class="stat__base">{counted}</span></div>\n'
        "</div>\n"
        f'<p class="muted" id="progress-freshness">{fresh}</p>'
    )


def forms_before(
    org_slug: str,
    cohort_id: int,
    csrf: str,
    add_form: AddLearnerForm,
    staff_sections: list[tuple[str, list[queries.StaffMember], StaffForm]],
) -> SafeString:
    """The page's forms (add one learner, with a link to adding learners by filter; assign
    and remove coaches and sponsors), each field as ``includes/field.html`` writes it."""
    args = (org_slug, cohort_id)
    matching = escape(_url("cohort_add_matching", *args))
    cards = []
    for kind, people, form in staff_sections:
        coach = kind == "coach"
        if people:
            remove = _("Remove")
            items = "".join(
                f'<li class="split"><span>{(name := escape(s.name))} <span class="muted">'
                f"{escape(s.email)}</span></span>\n"
                '      <form method="post" action="'
                f'{escape(_url("cohort_staff_remove", *args, kind, s.membership_id))}"'
                f' data-confirm="{_("Remove %(name)s from this cohort?") % {"name": name}}">'
                f'{csrf}<button class="btn btn--link btn--small" type="submit">{remove}'
                f'<span class="visually-hidden"> {name}</span></button></form></li>'
                for s in people
            )
            listed = f"<ul>{items}</ul>\n    "
        else:
            none = (
                _("No coach assigned. Coaches see this cohort's learners on their roster.")
                if coach
                else _("No sponsor assigned. Sponsors follow this cohort's progress and impact.")
            )
            listed = f'<p class="muted">{none}</p>'
        cards.append(
            "\n  "
            '<div class="card stack">\n'
            f'    <h2 class="card__title">{_("Coaches") if coach else _("Sponsors")}</h2>\n'
            f"    {listed}\n"
            '    <form method="post" action="'
            f'{escape(_url("cohort_staff_add", *args, kind))}" class="cluster"'
            f" novalidate>{csrf}\n"
            f"      {field_html(form['email'])}"
            f'<datalist id="{kind}-people"></datalist>\n'
            '      <button class="btn btn--secondary btn--small" type="submit">'
            f"{_('Assign')}</button>\n"
            "    </form>\n"
            "  </div>\n  "
        )
    return SafeString(
        '<section class="grid grid--2" id="add-learners" aria-labelledby="add-title">\n'
        f'  <h2 id="add-title" class="visually-hidden">{_("Add learners")}</h2>\n'
        '  <form method="post" action="'
        f'{escape(_url("cohort_add_learner", *args))}" class="card stack" novalidate>'
        f"{csrf}\n"
        f'    <h3 class="card__title">{_("Add one learner")}</h3>\n'
        f"    {field_html(add_form['email'])}\n"
        '    <div class="form-actions"><button class="btn btn--secondary" type="submit">'
        f"{_('Add learner')}</button></div>\n"
        "  </form>\n"
        '  <div class="card stack">\n'
        f'    <h3 class="card__title">{_("Add by team, job title, role or function")}</h3>\n'
        '    <p class="muted">'
        f"{_('Active learners who match every filter you set; anyone already in the cohort is skipped.')}"
        "</p>\n"
        '    <div class="form-actions"><a class="btn btn--secondary" href="'
        f'{matching}">{_("Add learners by filter")}</a></div>\n'
        "  </div>\n"
        "</section>\n\n"
        f'<section class="grid grid--2" aria-label="{_("Coaches and sponsors")}">\n'
        f"  {''.join(cards)}\n"
        "</section>"
    )


def staff_forms_before(org_slug: str, cohort_id: int) -> dict[str, StaffForm]:
    return {
        kind: StaffForm(
            label=_(label),
            prefix=kind,
            people_url=_url("cohort_staff_people", org_slug, cohort_id, kind),
        )
        for kind, label in (("coach", "Coach"), ("sponsor", "Sponsor"))
    }
