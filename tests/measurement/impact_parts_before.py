"""The impact page's parts as ``measurement/impact_page.py`` wrote them before its words were
translated once per language and its figures formatted without ``floatformat``: what
tests/measurement/test_impact_html.py holds the page to, with ``templates_before`` (whose
template wrote the rest of the page).
"""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from measurement.queries import CohortImpact, MetricResult, TeamCompletionReport
from measurement.templatetags.figures import figure_script
from organizations.html_parts import blocktranslate, url_with_id, value_html

CLAIMS_SOURCE = "participants' estimates"


def downloads(download_url: str, what: str) -> str:
    """``includes/table_downloads.html`` with no query, ``what`` and ``download_url``."""
    label = blocktranslate("Download %(what)s:", what=mark_safe(what))
    url = conditional_escape(download_url)
    return (
        f'\n<p class="muted table-downloads">{label}\n'
        f'  <a href="{url}?format=csv" download>CSV</a> ·\n'
        f'  <a href="{url}?format=xlsx" download>{gettext("Excel (XLSX)")}</a></p>\n'
    )


def table_downloads(query: str) -> SafeString:
    """``includes/table_downloads.html`` with ``query`` alone (this page's URL, no ``what``)."""
    filters = f"{conditional_escape(query)}&amp;" if query else ""
    return SafeString(
        f'\n<p class="muted table-downloads">{value_html(gettext("Download this table:"))}\n'
        f'  <a href="?{filters}format=csv" download>CSV</a> ·\n'
        f'  <a href="?{filters}format=xlsx" download>{value_html(gettext("Excel (XLSX)"))}</a>'
        "</p>\n"
    )


def _did_rows(metric: MetricResult) -> str:
    did, pre_post = metric.did, metric.pre_post
    participants = gettext("Participants' teams")
    if did:
        return (
            "\n      \n"
            f'      <tr><th scope="row">{participants}</th>'
            f'<td class="num">{floatformat(did["treated_pre"], 2)}</td>'
            f'<td class="num">{floatformat(did["treated_post"], 2)}</td>'
            f'<td class="num">{value_html(metric.participant_teams)}</td></tr>\n'
            f'      <tr><th scope="row">{gettext("Comparison teams")}</th>'
            f'<td class="num">{floatformat(did["comparison_pre"], 2)}</td>'
            f'<td class="num">{floatformat(did["comparison_post"], 2)}</td>'
            f'<td class="num">{value_html(metric.comparison_teams)}</td></tr>\n'
            "      \n      "
        )
    if pre_post:
        return (
            "\n      \n"
            f'      <tr><th scope="row">{participants}</th>'
            f'<td class="num">{floatformat(pre_post["pre"], 2)}</td>'
            f'<td class="num">{floatformat(pre_post["post"], 2)}</td>'
            f'<td class="num">{value_html(metric.participant_teams)}</td></tr>\n'
            "      \n      "
        )
    return "\n      \n      "


def _evidence(metric: MetricResult, currency: str) -> str:
    did = metric.did
    if did:
        text = blocktranslate(
            "Difference-in-differences: %(est)s %(unit)s (95%% CI %(lo)s to %(hi)s, standard "
            "errors clustered by team). A before/after of participants alone would have said "
            "%(naive)s %(unit)s.",
            est=floatformat(did["estimate"], 2),
            lo=floatformat(did["ci_low"], 2),
            hi=floatformat(did["ci_high"], 2),
            unit=metric.change_unit,
            naive=floatformat(did["naive"], 2),
        )
        money = ""
        if metric.money is not None:
            money = blocktranslate(
                "Worth %(m)s %(cur)s a year (the naive figure would claim %(n)s %(cur)s).",
                m=floatformat(metric.money, "0g"),
                n=floatformat(metric.naive_money, "0g"),
                cur=currency,
            )
        pre_trend = metric.pre_trend or {}
        trend = ""
        if pre_trend.get("parallel") is not None:
            if pre_trend["parallel"]:
                said = gettext(
                    "Before the programme both groups moved in parallel, as the estimate assumes."
                )
            else:
                said = f'<span class="badge badge--overdue">{gettext("caution")}</span> ' + gettext(
                    "Before the programme the groups did not move in parallel: read the "
                    "estimate with care."
                )
            trend = f'<p class="muted">{said}</p>'
        elif pre_trend.get("too_few"):
            trend = (
                f'<p class="muted">{gettext("Pre-trends:")} {value_html(pre_trend["too_few"])}</p>'
            )
        return f"\n    <p>{text}\n    {money}</p>\n    {trend}\n    "
    if metric.pre_post:
        return (
            f'<p><span class="badge badge--info">{gettext("weaker evidence")}</span> '
            + gettext(
                "No comparison group: this is a before/after change, which also contains "
                "everything else that changed. It is not counted in the ROI."
            )
            + "</p>\n    "
        )
    if metric.too_few:
        return f'<p class="muted">{value_html(metric.too_few)}</p>'
    return ""


def metric_cards(
    impact: CohortImpact, figures: list[tuple[MetricResult, Any, str]], org_slug: str
) -> list[SafeString]:
    """One card per plan metric (its chart, group means, estimate and links), as the
    template's loop wrote it, whitespace included."""
    metric_url = url_with_id("impact_metric", org_slug, impact.id)
    what = gettext("the monthly means of the chart")
    cards = []
    for metric, fig, fig_id in figures:
        chart = ""
        if metric.series:
            label = blocktranslate(
                "Monthly %(name)s of participants' and comparison teams; figures in the table "
                "below.",
                name=metric.name,
            )
            chart = format_html(
                '<div class="chart" data-plotly-figure="{}" role="img" aria-label="{}"></div>',
                fig_id,
                mark_safe(label),
            ) + figure_script(fig, fig_id)
        url = metric_url(metric.metric_id)
        values = blocktranslate("See the %(n)s team values behind this", n=metric.values)
        cards.append(
            mark_safe(
                f'\n  <div class="card stack">\n    {chart}\n'
                '    <div class="table-wrap"><table class="table">\n'
                f'      <thead><tr><th scope="col">{value_html(metric.name)} ({value_html(metric.unit)})'
                f'</th><th scope="col" class="num">{gettext("Before")}</th>'
                f'<th scope="col" class="num">{gettext("During evaluation")}</th>'
                f'<th scope="col" class="num">{gettext("Teams")}</th></tr></thead>\n'
                f"      <tbody>{_did_rows(metric)}</tbody>\n"
                f"    </table></div>\n    {_evidence(metric, impact.currency)}\n"
                f'    <p><a href="{url}">{values}</a></p>\n'
                f"    {downloads(url, what)}\n  </div>\n  "
            )
        )
    return cards


def level_rows(impact: CohortImpact) -> SafeString:
    """The rows of "From reaction to ROI"."""
    return mark_safe(
        "".join(
            format_html(
                '<tr><th scope="row"><a href="#{}">{} {}</a></th><td>{}</td><td>{}</td></tr>',
                level.anchor,
                level.number,
                level.name,
                level.finding,
                level.n,
            )
            for level in impact.levels
        )
    )


def behaviour_rows(impact: CohortImpact, min_cell: int) -> SafeString:
    """The rows of the behaviour-change table: a competency's change, or why it is hidden."""
    rows = []
    for c in impact.behaviour:
        head = f'<tr><th scope="row">{value_html(c.name)}</th><td class="num">{value_html(c.n)}</td>\n    '
        if c.hidden:
            why = blocktranslate(
                "hidden: fewer than %(min_cell)s learners, so it could identify people",
                min_cell=min_cell,
            )
            rows.append(f'{head}<td colspan="4">{why}</td>\n    </tr>')
        elif c.too_few:
            rows.append(f'{head}<td colspan="4">{value_html(c.too_few)}</td>\n    </tr>')
        else:
            rows.append(
                f'{head}<td class="num">{floatformat(c.mean_change, 2)} '
                f"({floatformat(c.ci_low, 2)} to {floatformat(c.ci_high, 2)})</td>"
                f'<td class="num">{floatformat(c.d_av, 2)}</td>'
                f'<td class="num">{floatformat(c.d_z, 2)}</td>'
                f'<td class="num">{value_html(c.reliable)} / {value_html(c.n)}</td></tr>'
            )
    return mark_safe("".join(rows))


def benefit_rows(impact: CohortImpact, org_slug: str) -> SafeString:
    """The ROI table's benefit rows, each linked to its evidence (empty without benefits)."""
    if not impact.benefit_rows:
        return mark_safe("")
    metric_url = url_with_id("impact_metric", org_slug, impact.id)
    claims_url = reverse("impact_claims", args=[org_slug, impact.id])
    rows = []
    for b in impact.benefit_rows:
        facts = b.get("facts") or {}
        label = value_html(b.get("label"))
        if b.get("source") == CLAIMS_SOURCE:
            head = f'<a href="{claims_url}">{label}</a>'
            claimed = " — " + blocktranslate(
                "%(r)s of %(p)s participants claimed (the others count zero); %(e)s excluded",
                r=facts.get("respondents"),
                p=facts.get("participants"),
                e=facts.get("excluded"),
            )
        else:
            head = f'<a href="{metric_url(facts.get("metric_id"))}">{label}</a>'  # type: ignore[arg-type]
            claimed = ""
        rows.append(
            f'<tr><th scope="row">{head}</th><td>{value_html(b.get("source"))}{claimed}</td>'
            f'<td class="num">{floatformat(b.get("gross"), "0g")}</td>'
            f'<td class="num">{floatformat(b.get("value"), "0g")}</td></tr>\n    '
        )
    return mark_safe("".join(rows))


def cost_rows(impact: CohortImpact) -> SafeString:
    """The ROI table's cost rows (empty without costs)."""
    rows = []
    for c in impact.cost_rows:
        shared = ""
        if (c.get("shared_by") or 0) > 1:
            shared = " (%s)" % blocktranslate(
                "1/%(n)s of %(a)s", a=c.get("amount"), n=c.get("shared_by")
            )
        rows.append(
            f'<tr><th scope="row">{value_html(c.get("label"))}</th>'
            f"<td>{value_html(c.get('description'))}{shared}</td>"
            f'<td class="num">{floatformat(c.get("allocated"), "0g")}</td></tr>\n    '
        )
    return mark_safe("".join(rows))


def team_rows(report: TeamCompletionReport) -> SafeString:
    """The rows of the progress-by-team data table (only teams shown)."""
    return mark_safe(
        "".join(
            f'<tr><th scope="row">{value_html(t.team)}</th><td class="num">{value_html(t.learners)}</td>'
            f'<td class="num">{value_html(t.finished)}</td>'
            f'<td class="num">{round(t.mean_completion * 100)}%</td></tr>'
            for t in report.teams
        )
    )
