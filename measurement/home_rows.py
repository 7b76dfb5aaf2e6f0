"""The admin home's table rows as HTML, built once per page in Python.

What the templates wrote per row (``{% url %}``, ``{% blocktranslate %}``, ``floatformat``,
``date``), from string formatting with the same message ids, filters and escaping: values
escaped, translated text as the template inserts it. No queries.
"""

from __future__ import annotations

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from measurement.queries import CohortHealth, DataQuality
from organizations.html_parts import interpolate, url_with_id, value_html


def quality_rows(quality: DataQuality, org_slug: str) -> SafeString:
    """The rows of "Data quality for impact": each started cohort's plan, missing metric values,
    360 baselines and benefit claims."""
    plan_url = url_with_id("plan_edit", org_slug)
    rows = []
    for c in quality.cohorts:
        if not c.has_plan:
            plan = f'<a href="{plan_url(c.id)}">{gettext("no plan yet")}</a>'
        elif c.comparison:
            plan = gettext("with comparison group")
        else:
            plan = f'<span class="badge badge--info">{gettext("no comparison group")}</span>'
        missing = "; ".join(
            interpolate(
                gettext("%(name)s: %(missing)s of %(expected)s team-months"),
                {"name": m["name"], "missing": m["missing"], "expected": m["expected"]},
            )
            for m in c.metrics_missing
        )
        if not c.metrics_missing:
            missing = gettext("none") if c.has_plan else "—"
        if c.has_plan:
            participants = value_html(c.participants)
            baselines = (
                f"{value_html(c.baselines)} / {participants} ({value_html(c.baseline_rate)})"
            )
            claims = f"{value_html(c.claimants)} / {participants} ({value_html(c.claim_rate)})"
        else:
            baselines = claims = "—"
        rows.append(
            f'<tr>\n      <th scope="row">{value_html(c.name)}</th>\n      <td>{plan}</td>\n'
            f"      <td>{missing}</td>\n"
            f'      <td class="num">{baselines}</td>\n'
            f'      <td class="num">{claims}</td>\n    </tr>'
        )
    return mark_safe("".join(rows))


def module_rows(quality: DataQuality) -> SafeString:
    """The rows of "Weakest modules": ratings (shown modules only) and completions."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{value_html(m.title)}</th>'
            f'<td class="num">{floatformat(m.useful, 2)}</td>'
            f'<td class="num">{floatformat(m.relevant, 2)}</td>'
            f'<td class="num">{value_html(m.ratings)}</td><td class="num">{value_html(m.completions)}</td>'
            "</tr>"
            for m in quality.weakest_modules
        )
    )


def health_rows(cohorts: list[CohortHealth], org_slug: str) -> SafeString:
    """The rows of the programme-health table (``pathways/cohorts/_summary_table.html``):
    each cohort's pathway, dates, status, learners, progress, overdue steps and learners not
    started, linked to the cohort page."""
    cohort_url = url_with_id("cohort_detail", org_slug)
    rows = []
    for c in cohorts:
        url = cohort_url(c.id)
        name = value_html(c.name)
        dates = value_html(date_filter(c.start_date, "j M Y"))
        if c.end_date:
            dates += " – " + value_html(date_filter(c.end_date, "j M Y"))
        progress_label = interpolate(gettext("Progress of %(name)s"), {"name": c.name})
        progress = interpolate(
            gettext("%(percent)s%% · %(done)s of %(possible)s required steps"),
            {"percent": c.percent, "done": c.steps_done, "possible": c.steps_total},
        )
        pending = ""
        if c.pending:
            text = ngettext(
                "(%(n)s new learner not counted yet)",
                "(%(n)s new learners not counted yet)",
                c.pending,
            )
            pending = f'\n        <span class="muted">{interpolate(text, {"n": c.pending})}</span>'
        if c.overdue_steps:
            n = c.learners_overdue
            label = ngettext(
                "%(steps)s overdue steps, %(n)s learner",
                "%(steps)s overdue steps, %(n)s learners",
                n,
            )
            learners = ngettext("%(n)s learner", "%(n)s learners", n)
            overdue = (
                f'<a href="{url}?show=overdue" aria-label="'
                f'{interpolate(label, {"steps": c.overdue_steps, "n": n})}">'
                f'<span class="badge badge--overdue">{value_html(c.overdue_steps)}</span></a> '
                f'<span class="muted">{interpolate(learners, {"n": n})}</span>'
            )
        else:
            overdue = "0"
        not_started = (
            f'<a href="{url}?show=not_started">{value_html(c.not_started)}</a>'
            if c.not_started
            else "0"
        )
        rows.append(
            "\n    <tr>\n"
            f'      <th scope="row"><a href="{url}">{name}</a></th>\n'
            f'      <td>{value_html(c.pathway)} <span class="muted">v{value_html(c.version)}</span></td>\n'
            f"      <td>{dates}</td>\n"
            f'      <td><span class="badge badge--info">{value_html(c.status)}</span></td>\n'
            f'      <td class="num">{value_html(c.learners)}</td>\n'
            '      <td><progress class="progress progress--small" max="100" '
            f'value="{value_html(c.percent)}" aria-label="{progress_label}"></progress>\n'
            f'        <span class="progress-label">{progress}</span>{pending}</td>\n'
            f'      <td class="num">{overdue}</td>\n'
            f'      <td class="num">{not_started}</td>\n'
            "    </tr>\n  "
        )
    return mark_safe("".join(rows))
