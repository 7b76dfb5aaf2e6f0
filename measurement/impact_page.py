"""The impact page (``sponsor_home``) as HTML, built once per page in Python: its content
block (``page_html``; the view writes the frame around it, ``organizations.page_frame``) and
the repeated parts in it, its metric cards, table rows and download lines.

The template resolved, translated and filtered in every card, row and cell, through
``{% url %}``, ``{% blocktranslate %}``, ``floatformat`` and ``{% include %}``: most of the
page's time. Here the same markup comes from string formatting, with the same message ids (so
translations apply alike; the fixed words are translated once per catalogue,
``organizations.words``: the catalogue does not change while it runs), the same number formats as ``floatformat`` in the
active language and the same escaping (values escaped, translated text as the template
inserts it): byte for byte what the template wrote (tests/measurement/test_impact_html.py
holds the page to it). No queries.
"""

from __future__ import annotations

import functools
import html
import unicodedata
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation, getcontext
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import date, floatformat, truncatechars
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext, gettext_noop, pgettext

from measurement import charts
from measurement.queries import (
    MIN_CELL_SIZE,
    CohortImpact,
    MetricResult,
    SponsorImpact,
    TeamCompletionReport,
    start_of,
)
from measurement.templatetags.figures import figure_script
from organizations.html_parts import url_with_id, value_html
from organizations.words import words as kept_words

CLAIMS_SOURCE = "participants' estimates"

# What a template hands the ``date`` filter: an aware datetime in the current time zone.
template_localtime = timezone.template_localtime  # type: ignore[attr-defined]


class _StepsByPlaces(dict[int, Decimal]):
    def __missing__(self, places: int) -> Decimal:
        step = self[places] = Decimal(1).scaleb(-places)
        return step


def _esc(value: Any) -> str:
    """``conditional_escape(value)``: a plain string escaped as Django's ``escape`` does (by
    ``html.escape``), without its checks for lazy text."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value)


def _value(value: Any) -> str:
    """``value_html(value)`` (``{{ value }}``), a plain string escaped directly."""
    if type(value) is str:
        return html.escape(value)
    return value_html(value)


def _fill(translated: str, values: dict[str, Any]) -> str:
    """``interpolate``: a translated ``{% blocktranslate %}`` text with its values escaped."""
    return translated % {key: _value(value) for key, value in values.items()}


# The fixed words of the page, translated once per catalogue (``_words``), marked for
# makemessages: the message ids of the
# template's ``{% translate %}`` words (percent signs doubled, as the template's were)...

_WORDS = (
    gettext_noop("Download one-page PDF"),
    gettext_noop("Choose a cohort"),
    gettext_noop("Cohort"),
    gettext_noop("Show"),
    gettext_noop("Headline"),
    gettext_noop("return on investment (first year)"),
    gettext_noop("months to pay back"),
    gettext_noop("costs ÷ (annual benefits ÷ 12)"),
    gettext_noop("benefit–cost ratio"),
    gettext_noop("no comparison group: results are before/after only (weaker evidence)"),
    gettext_noop("From reaction to ROI"),
    gettext_noop("Level"),
    gettext_noop("What we found"),
    gettext_noop("Based on"),
    gettext_noop("Behaviour change (360, others' ratings)"),
    gettext_noop(
        "Mean change per competency with 95%% confidence intervals; the same figures are in the table below."
    ),
    gettext_noop("Competency"),
    gettext_noop("Learners (pairs)"),
    gettext_noop("Mean change (95%% CI)"),
    gettext_noop("d_av"),
    gettext_noop("d_z"),
    gettext_noop("Reliable improvement"),
    gettext_noop(
        "d_av divides the mean change by the average spread of scores before and after (comparable with studies of groups); d_z divides it by the spread of the changes (what sample sizes are planned with). Most single changes are within measurement error on a 5-point scale: reliable improvement needs about half a point."
    ),
    gettext_noop(
        "No 360 follow-up has closed for this cohort yet. Once baseline and follow-up reports are frozen for at least five learners, the mean change appears here with its confidence interval."
    ),
    gettext_noop("Team and business results"),
    gettext_noop("No team or business metrics in the plan"),
    gettext_noop(
        "An admin adds the metrics expected to move to the cohort's measurement plan and enters their monthly values for participants' and comparison teams."
    ),
    gettext_noop("ROI table"),
    gettext_noop("Benefits by source against costs; the same figures are in the table below."),
    gettext_noop("Benefits by source and fully loaded costs"),
    gettext_noop("Benefit (first year)"),
    gettext_noop("Isolated by"),
    gettext_noop("Before adjustment"),
    gettext_noop("Counted"),
    gettext_noop(
        "No benefit counted yet: confirmed project claims and monetised metrics with a comparison group appear here."
    ),
    gettext_noop("Total benefits"),
    gettext_noop("Fully loaded cost"),
    gettext_noop("Detail"),
    gettext_noop("This cohort"),
    gettext_noop("No costs recorded yet."),
    gettext_noop("Total costs"),
    gettext_noop("Intangibles, listed beside the ROI and never added in:"),
    gettext_noop("Download CSV"),
    gettext_noop("Download XLSX"),
    gettext_noop("Impact"),
    gettext_noop("What the programmes you fund changed, and what they returned."),
    gettext_noop("No impact figures yet"),
    gettext_noop(
        "Impact appears once a cohort you sponsor has a measurement plan: the metrics expected to move, a comparison group and its costs. Your programme admin sets it up; figures refresh as results arrive and nightly."
    ),
    gettext_noop("Programme progress by team"),
    gettext_noop("Bar chart of mean completion by team; the same figures are in the table below."),
    gettext_noop("Data table"),
    gettext_noop("Team"),
    gettext_noop("Learners"),
    gettext_noop("Finished"),
    gettext_noop("Mean completion"),
    gettext_noop("No progress to show yet"),
    gettext_noop(
        "once learners in teams of five or more start their pathways, completion by team appears here. Figures refresh after each completed step and nightly."
    ),
)

# ... and the message ids of its ``{% blocktranslate %}`` texts without a count and of the
# parts' ``gettext``.
_SENTENCES = (
    gettext_noop("Impact of %(name)s"),
    gettext_noop("plan changed on %(on)s"),
    gettext_noop("%(b)s %(cur)s benefits vs %(c)s %(cur)s costs"),
    gettext_noop("isolated against a comparison group (%(g)s)"),
    gettext_noop(
        "Phillips method: first-year benefits only, isolated and adjusted by confidence; non-respondents count zero; extreme or unsupported claims excluded; the lower of two estimates. Computed %(when)s UTC."
    ),
    gettext_noop("Period %(p)s; computed %(when)s UTC."),
    gettext_noop("Download %(what)s:"),
    gettext_noop("Download this table:"),
    gettext_noop("Excel (XLSX)"),
    gettext_noop("Participants' teams"),
    gettext_noop("Comparison teams"),
    gettext_noop(
        "Difference-in-differences: %(est)s %(unit)s (95%% CI %(lo)s to %(hi)s, standard "
        "errors clustered by team). A before/after of participants alone would have said "
        "%(naive)s %(unit)s."
    ),
    gettext_noop("Worth %(m)s %(cur)s a year (the naive figure would claim %(n)s %(cur)s)."),
    gettext_noop("Before the programme both groups moved in parallel, as the estimate assumes."),
    gettext_noop("caution"),
    gettext_noop(
        "Before the programme the groups did not move in parallel: read the estimate with care."
    ),
    gettext_noop("Pre-trends:"),
    gettext_noop("weaker evidence"),
    gettext_noop(
        "No comparison group: this is a before/after change, which also contains everything else "
        "that changed. It is not counted in the ROI."
    ),
    gettext_noop("the monthly means of the chart"),
    gettext_noop(
        "Monthly %(name)s of participants' and comparison teams; figures in the table below."
    ),
    gettext_noop("See the %(n)s team values behind this"),
    gettext_noop("Before"),
    gettext_noop("During evaluation"),
    gettext_noop("Teams"),
    gettext_noop("hidden: fewer than %(min_cell)s learners, so it could identify people"),
    gettext_noop("%(r)s of %(p)s participants claimed (the others count zero); %(e)s excluded"),
    gettext_noop("1/%(n)s of %(a)s"),
)


def _participants(count: int) -> str:
    return kept_words().count(
        "%(n)s participant; evaluation period %(start)s to %(end)s.",
        "%(n)s participants; evaluation period %(start)s to %(end)s.",
        count,
    )


def _hidden_teams(count: int) -> str:
    return kept_words().count(
        "%(n)s team hidden: fewer than %(min_cell)s learners, so its figures could identify people.",
        "%(n)s teams hidden: fewer than %(min_cell)s learners each, so their figures could identify people.",
        count,
    )


def _page_words() -> dict[str, str]:
    """The page's fixed words and sentences in the active catalogue, the
    ``{% translate %}`` words by the word: the template doubled the percent signs of their
    message ids and restored them in what the catalogue gave."""
    words = {msgid.replace("%%", "%"): gettext(msgid).replace("%%", "%") for msgid in _WORDS}
    words.update((msgid, gettext(msgid)) for msgid in _SENTENCES)
    return words


def _words() -> dict[str, str]:
    """``_page_words()``, made once per catalogue (``organizations.words``)."""
    return kept_words().kept(_page_words, _page_words)


@functools.lru_cache(maxsize=16)
def _separators(language: str | None) -> tuple[str, Any, str, bool]:
    """The decimal separator, digit grouping and thousand separator of ``language``, and
    whether numbers are grouped unless a format asks for it."""
    return (
        get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        get_format("NUMBER_GROUPING", language, use_l10n=True),
        get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        bool(settings.USE_THOUSAND_SEPARATOR),
    )


@receiver(setting_changed)
def _forget_words(*, setting: str, **kwargs: Any) -> None:
    if setting in {
        "LANGUAGES",
        "LANGUAGE_CODE",
        "LOCALE_PATHS",
        "INSTALLED_APPS",
        "FORMAT_MODULE_PATH",
        "DECIMAL_SEPARATOR",
        "NUMBER_GROUPING",
        "THOUSAND_SEPARATOR",
        "USE_THOUSAND_SEPARATOR",
    }:
        _separators.cache_clear()
        _written.clear()


Numbers = Callable[[Any, Any], str]

# ``floatformat``'s rounding step for a number of decimal places.
_STEPS = _StepsByPlaces()


def _grouped(int_part: str, grouping: Any, thousand_sep: str) -> str:
    """The digits of ``int_part`` in groups, as ``numberformat.format`` writes them."""
    if type(grouping) is int and grouping > 0:  # groups of one size
        head = len(int_part) % grouping or grouping
        groups = [int_part[:head]]
        groups.extend(int_part[i : i + grouping] for i in range(head, len(int_part), grouping))
        return thousand_sep.join(groups)
    try:
        intervals = list(grouping)
    except TypeError:
        intervals = [grouping, 0]
    active_interval = intervals.pop(0)
    int_part_gd = []
    cnt = 0
    for digit in int_part[::-1]:
        if cnt and cnt == active_interval:
            if intervals:
                active_interval = intervals.pop(0) or active_interval
            int_part_gd.append(thousand_sep[::-1])
            cnt = 0
        int_part_gd.append(digit)
        cnt += 1
    return "".join(int_part_gd)[::-1]


# The numbers written, per language: a page writes the same figures on every visit (its
# roll-ups change a few times a day), and each costs a few decimal operations. Past this many
# in a language, start again.
NUMBERS_KEPT = 4096
_written: dict[str | None, dict[tuple[Any, ...], str]] = {}


def numbers(language: str | None) -> Numbers:
    """``value|floatformat:arg`` in ``language`` (the active one): Django's ``floatformat``,
    with the language's separators looked up once rather than three times a number, and each
    number written once per value, type and ``arg`` (a decimal by its text: ``1E+300`` and
    its 301 digits are equal, and written differently)."""
    written = _written.setdefault(language, {})
    write = _number(*_separators(language))

    def number(text: Any, arg: Any = -1) -> str:
        kind = type(text)
        try:
            key = (kind, str(text) if kind is Decimal else text, arg)
            found = written.get(key)
        except TypeError:  # a value or argument that cannot be a key: written each time
            return write(text, arg)
        if found is None:
            if len(written) >= NUMBERS_KEPT:
                written.clear()
            found = written[key] = write(text, arg)
        return found

    return number


def _number(decimal_sep: str, grouping: Any, thousand_sep: str, always_grouped: bool) -> Numbers:
    """``floatformat`` with these separators."""

    def number(text: Any, arg: Any = -1) -> str:
        force_grouping = False
        if isinstance(arg, str):
            if arg[-1] == "u" or arg[-2:] == "gu":  # unlocalised: as the filter does it
                return floatformat(text, arg)
            if arg[-1] == "g":
                force_grouping = True
                arg = arg[:-1] or -1
        try:
            input_val = str(text)
            d = Decimal(input_val)
        except InvalidOperation:
            try:
                d = Decimal(str(float(text)))
            except (ValueError, InvalidOperation, TypeError):
                return ""
        try:
            p = int(arg)
        except ValueError:
            return input_val
        _, digits, exponent = d.as_tuple()
        try:
            size = len(digits) + abs(exponent)  # type: ignore[arg-type]
        except TypeError:  # "F", "n", "N"
            size = 0
        if size > 200:
            return input_val
        try:
            m = int(d) - d
        except (ValueError, OverflowError, InvalidOperation):
            return input_val
        if not m and p <= 0:
            figure = "%d" % (int(d))
            places = 0
        else:
            places = abs(p)
            units = len(digits) + (-exponent if m else exponent)  # type: ignore[operator]
            prec = max(getcontext().prec, places + units + 1)
            rounded_d = d.quantize(_STEPS[places], ROUND_HALF_UP, Context(prec=prec))
            # the rounded figure in fixed point (its exponent is -places), no sign for zero
            figure = f"{rounded_d:f}"
            if figure[0] == "-" and not rounded_d:
                figure = figure[1:]
        # ``numberformat.format`` of the figure (a string) with the language's separators
        sign = ""
        if figure[0] == "-":
            sign, figure = "-", figure[1:]
        int_part, _point, dec_part = figure.partition(".")
        dec_part = dec_part[:places]
        dec_part += "0" * (places - len(dec_part))
        if dec_part:
            dec_part = decimal_sep + dec_part
        if (always_grouped or force_grouping) and grouping != 0:
            int_part = _grouped(int_part, grouping, thousand_sep)
        return SafeString(sign + int_part + dec_part)

    return number


def downloads(download_url: str, what: str) -> str:
    """``includes/table_downloads.html`` with no query, ``what`` and ``download_url``."""
    return _downloads(download_url, what, _words())


def _downloads(download_url: str, what: str, w: dict[str, str]) -> str:
    label = _fill(w["Download %(what)s:"], {"what": mark_safe(what)})
    url = _esc(download_url)
    return (
        f'\n<p class="muted table-downloads">{label}\n'
        f'  <a href="{url}?format=csv" download>CSV</a> ·\n'
        f'  <a href="{url}?format=xlsx" download>{w["Excel (XLSX)"]}</a></p>\n'
    )


def table_downloads(query: str) -> SafeString:
    """``includes/table_downloads.html`` with ``query`` alone (this page's URL, no ``what``)."""
    return _table_downloads(query, _words())


def _table_downloads(query: str, w: dict[str, str]) -> SafeString:
    filters = f"{_esc(query)}&amp;" if query else ""
    return SafeString(
        f'\n<p class="muted table-downloads">{_esc(w["Download this table:"])}\n'
        f'  <a href="?{filters}format=csv" download>CSV</a> ·\n'
        f'  <a href="?{filters}format=xlsx" download>{_esc(w["Excel (XLSX)"])}</a>'
        "</p>\n"
    )


def _did_rows(metric: MetricResult, w: dict[str, str], number: Numbers) -> str:
    did, pre_post = metric.did, metric.pre_post
    participants = w["Participants' teams"]
    if did:
        return (
            "\n      \n"
            f'      <tr><th scope="row">{participants}</th>'
            f'<td class="num">{number(did["treated_pre"], 2)}</td>'
            f'<td class="num">{number(did["treated_post"], 2)}</td>'
            f'<td class="num">{_value(metric.participant_teams)}</td></tr>\n'
            f'      <tr><th scope="row">{w["Comparison teams"]}</th>'
            f'<td class="num">{number(did["comparison_pre"], 2)}</td>'
            f'<td class="num">{number(did["comparison_post"], 2)}</td>'
            f'<td class="num">{_value(metric.comparison_teams)}</td></tr>\n'
            "      \n      "
        )
    if pre_post:
        return (
            "\n      \n"
            f'      <tr><th scope="row">{participants}</th>'
            f'<td class="num">{number(pre_post["pre"], 2)}</td>'
            f'<td class="num">{number(pre_post["post"], 2)}</td>'
            f'<td class="num">{_value(metric.participant_teams)}</td></tr>\n'
            "      \n      "
        )
    return "\n      \n      "


def _evidence(metric: MetricResult, currency: str, w: dict[str, str], number: Numbers) -> str:
    did = metric.did
    if did:
        text = _fill(
            w[
                "Difference-in-differences: %(est)s %(unit)s (95%% CI %(lo)s to %(hi)s, standard "
                "errors clustered by team). A before/after of participants alone would have said "
                "%(naive)s %(unit)s."
            ],
            {
                "est": number(did["estimate"], 2),
                "lo": number(did["ci_low"], 2),
                "hi": number(did["ci_high"], 2),
                "unit": metric.change_unit,
                "naive": number(did["naive"], 2),
            },
        )
        money = ""
        if metric.money is not None:
            money = _fill(
                w["Worth %(m)s %(cur)s a year (the naive figure would claim %(n)s %(cur)s)."],
                {
                    "m": number(metric.money, "0g"),
                    "n": number(metric.naive_money, "0g"),
                    "cur": currency,
                },
            )
        pre_trend = metric.pre_trend or {}
        trend = ""
        if pre_trend.get("parallel") is not None:
            if pre_trend["parallel"]:
                said = w[
                    "Before the programme both groups moved in parallel, as the estimate assumes."
                ]
            else:
                said = (
                    f'<span class="badge badge--overdue">{w["caution"]}</span> '
                    + w[
                        "Before the programme the groups did not move in parallel: read the "
                        "estimate with care."
                    ]
                )
            trend = f'<p class="muted">{said}</p>'
        elif pre_trend.get("too_few"):
            trend = f'<p class="muted">{w["Pre-trends:"]} {_value(pre_trend["too_few"])}</p>'
        return f"\n    <p>{text}\n    {money}</p>\n    {trend}\n    "
    if metric.pre_post:
        return (
            f'<p><span class="badge badge--info">{w["weaker evidence"]}</span> '
            + w[
                "No comparison group: this is a before/after change, which also contains "
                "everything else that changed. It is not counted in the ROI."
            ]
            + "</p>\n    "
        )
    if metric.too_few:
        return f'<p class="muted">{_value(metric.too_few)}</p>'
    return ""


def metric_cards(
    impact: CohortImpact, figures: list[tuple[MetricResult, Any, str]], org_slug: str
) -> list[SafeString]:
    """One card per plan metric (its chart, group means, estimate and links), as the
    template's loop wrote it, whitespace included."""
    language = get_language()
    w, number = _words(), numbers(language)
    metric_url = url_with_id("impact_metric", org_slug, impact.id)
    what = w["the monthly means of the chart"]
    head = (
        f'</th><th scope="col" class="num">{w["Before"]}</th>'
        f'<th scope="col" class="num">{w["During evaluation"]}</th>'
        f'<th scope="col" class="num">{w["Teams"]}</th></tr></thead>\n'
    )
    cards = []
    for metric, fig, fig_id in figures:
        chart = ""
        if metric.series:
            label = _fill(
                w[
                    "Monthly %(name)s of participants' and comparison teams; figures in the "
                    "table below."
                ],
                {"name": metric.name},
            )
            chart = (
                f'<div class="chart" data-plotly-figure="{_esc(fig_id)}" role="img" '
                f'aria-label="{label}"></div>' + figure_script(fig, fig_id)
            )
        url = metric_url(metric.metric_id)
        values = _fill(w["See the %(n)s team values behind this"], {"n": metric.values})
        cards.append(
            SafeString(
                f'\n  <div class="card stack">\n    {chart}\n'
                '    <div class="table-wrap"><table class="table">\n'
                f'      <thead><tr><th scope="col">{_value(metric.name)} ({_value(metric.unit)})'
                f"{head}"
                f"      <tbody>{_did_rows(metric, w, number)}</tbody>\n"
                f"    </table></div>\n    {_evidence(metric, impact.currency, w, number)}\n"
                f'    <p><a href="{url}">{values}</a></p>\n'
                f"    {_downloads(url, what, w)}\n  </div>\n  "
            )
        )
    return cards


def level_rows(impact: CohortImpact) -> SafeString:
    """The rows of "From reaction to ROI"."""
    return SafeString(
        "".join(
            f'<tr><th scope="row"><a href="#{_esc(level.anchor)}">'
            f"{_esc(level.number)} {_esc(level.name)}</a></th>"
            f"<td>{_esc(level.finding)}</td><td>{_esc(level.n)}</td></tr>"
            for level in impact.levels
        )
    )


def behaviour_rows(impact: CohortImpact, min_cell: int) -> SafeString:
    """The rows of the behaviour-change table: a competency's change, or why it is hidden."""
    language = get_language()
    w, number = _words(), numbers(language)
    rows = []
    for c in impact.behaviour:
        head = f'<tr><th scope="row">{_value(c.name)}</th><td class="num">{_value(c.n)}</td>\n    '
        if c.hidden:
            why = _fill(
                w["hidden: fewer than %(min_cell)s learners, so it could identify people"],
                {"min_cell": min_cell},
            )
            rows.append(f'{head}<td colspan="4">{why}</td>\n    </tr>')
        elif c.too_few:
            rows.append(f'{head}<td colspan="4">{_value(c.too_few)}</td>\n    </tr>')
        else:
            rows.append(
                f'{head}<td class="num">{number(c.mean_change, 2)} '
                f"({number(c.ci_low, 2)} to {number(c.ci_high, 2)})</td>"
                f'<td class="num">{number(c.d_av, 2)}</td>'
                f'<td class="num">{number(c.d_z, 2)}</td>'
                f'<td class="num">{_value(c.reliable)} / {_value(c.n)}</td></tr>'
            )
    return SafeString("".join(rows))


def benefit_rows(impact: CohortImpact, org_slug: str) -> SafeString:
    """The ROI table's benefit rows, each linked to its evidence (empty without benefits)."""
    if not impact.benefit_rows:
        return SafeString("")
    language = get_language()
    w, number = _words(), numbers(language)
    metric_url = url_with_id("impact_metric", org_slug, impact.id)
    claims_url = url_with_id("impact_claims", org_slug)(impact.id)
    rows = []
    for b in impact.benefit_rows:
        facts = b.get("facts") or {}
        label = _value(b.get("label"))
        if b.get("source") == CLAIMS_SOURCE:
            head = f'<a href="{claims_url}">{label}</a>'
            claimed = " — " + _fill(
                w["%(r)s of %(p)s participants claimed (the others count zero); %(e)s excluded"],
                {
                    "r": facts.get("respondents"),
                    "p": facts.get("participants"),
                    "e": facts.get("excluded"),
                },
            )
        else:
            head = f'<a href="{metric_url(facts.get("metric_id"))}">{label}</a>'  # type: ignore[arg-type]
            claimed = ""
        rows.append(
            f'<tr><th scope="row">{head}</th><td>{_value(b.get("source"))}{claimed}</td>'
            f'<td class="num">{number(b.get("gross"), "0g")}</td>'
            f'<td class="num">{number(b.get("value"), "0g")}</td></tr>\n    '
        )
    return SafeString("".join(rows))


def cost_rows(impact: CohortImpact) -> SafeString:
    """The ROI table's cost rows (empty without costs)."""
    language = get_language()
    w, number = _words(), numbers(language)
    rows = []
    for c in impact.cost_rows:
        shared = ""
        if (c.get("shared_by") or 0) > 1:
            shared = " (%s)" % _fill(
                w["1/%(n)s of %(a)s"], {"a": c.get("amount"), "n": c.get("shared_by")}
            )
        rows.append(
            f'<tr><th scope="row">{_value(c.get("label"))}</th>'
            f"<td>{_value(c.get('description'))}{shared}</td>"
            f'<td class="num">{number(c.get("allocated"), "0g")}</td></tr>\n    '
        )
    return SafeString("".join(rows))


def team_rows(report: TeamCompletionReport) -> SafeString:
    """The rows of the progress-by-team data table (only teams shown)."""
    return SafeString(
        "".join(
            f'<tr><th scope="row">{_value(t.team)}</th><td class="num">{_value(t.learners)}</td>'
            f'<td class="num">{_value(t.finished)}</td>'
            f'<td class="num">{round(t.mean_completion * 100)}%</td></tr>'
            for t in report.teams
        )
    )


def _truncated(text: Any, length: int) -> str:
    """``text|truncatechars:length``, with the ellipsis translated once per catalogue."""
    if type(text) is str:
        normalised = unicodedata.normalize("NFC", text)
        if len(normalised) <= length:
            return normalised
        return Truncator(text).chars(length, truncate=kept_words().kept(_ellipsis, _ellipsis))
    return truncatechars(text, length)


def _ellipsis() -> str:
    """What ``truncatechars`` ends a cut text with in the active catalogue (kept per
    catalogue by ``_truncated``)."""
    return pgettext("String to return when truncating text", "%(truncated_text)s…")


def _stat(value: Any, places: Any, number: Numbers) -> str:
    """``{% if value is not None %}{{ value|floatformat:places }}{% else %}–{% endif %}``."""
    return "–" if value is None else number(value, places)


def _choices(page: SponsorImpact, impact: CohortImpact, w: dict[str, str]) -> str:
    choices = page.choices
    if len(choices) <= 1:
        return ""
    options = "".join(
        f'<option value="{_value(c.id)}" {"selected" if c.id == impact.id else ""}>'
        f"{_value(c.name)}</option>"
        for c in choices
    )
    return (
        f'\n<form method="get" class="cluster" aria-label="{w["Choose a cohort"]}">\n'
        f'  <div class="field"><label for="cohort-choice">{w["Cohort"]}</label>\n'
        f'  <select id="cohort-choice" name="cohort">{options}</select></div>\n'
        f'  <button class="btn btn--secondary" type="submit">{w["Show"]}</button>\n'
        "</form>\n"
    )


def _impact_html(
    page: SponsorImpact, impact: CohortImpact, org_slug: str, w: dict[str, str], language: Any
) -> str:
    """The page's sections about the selected cohort."""
    header = _fill(w["Impact of %(name)s"], {"name": impact.name})
    lead = _fill(
        _participants(impact.participants),
        {"n": impact.participants, "start": impact.evaluation[0], "end": impact.evaluation[1]},
    )
    changed = ""
    if impact.plan_changed_on:
        on = _fill(w["plan changed on %(on)s"], {"on": impact.plan_changed_on})
        changed = f'<span class="badge badge--info">{on}</span>'
    pdf = _esc(url_with_id("impact_pdf", org_slug)(impact.id))
    number = numbers(language)
    costs, benefits = number(impact.costs, "0g"), number(impact.benefits, "0g")
    currency = _value(impact.currency)
    versus = _fill(
        w["%(b)s %(cur)s benefits vs %(c)s %(cur)s costs"],
        {"b": benefits, "c": costs, "cur": impact.currency},
    )
    if impact.has_comparison:
        isolated = _fill(
            w["isolated against a comparison group (%(g)s)"],
            {"g": _truncated(impact.comparison_label, 70)},
        )
    else:
        isolated = w["no comparison group: results are before/after only (weaker evidence)"]
    parts = [
        '\n<header class="page-header split">\n  <div>\n'
        f'    <h1 class="page-header__title">{header}</h1>\n'
        f'    <p class="page-header__lead">{lead}\n'
        f"    {changed}</p>\n  </div>\n"
        '  <div class="page-header__actions cluster">\n'
        f'    <a class="btn btn--primary" href="{pdf}">{w["Download one-page PDF"]}</a>\n'
        "  </div>\n</header>\n",
        _choices(page, impact, w),
        f'\n\n<section class="grid grid--3" aria-label="{w["Headline"]}" id="headline">\n'
        '  <div class="card card--primary stat"><p class="stat__value">'
        f"{'–' if impact.roi_pct is None else number(impact.roi_pct, 0) + ' %'}</p>"
        f'<p class="stat__label">{w["return on investment (first year)"]}</p>'
        f'<p class="stat__base">{versus}</p></div>\n'
        '  <div class="card stat"><p class="stat__value">'
        f"{_stat(impact.payback_months, 1, number)}</p>"
        f'<p class="stat__label">{w["months to pay back"]}</p>'
        f'<p class="stat__base">{w["costs ÷ (annual benefits ÷ 12)"]}</p></div>\n'
        f'  <div class="card stat"><p class="stat__value">{_stat(impact.bcr, 2, number)}</p>'
        f'<p class="stat__label">{w["benefit–cost ratio"]}</p>'
        f'<p class="stat__base">{isolated}</p></div>\n'
        "</section>\n\n"
        '<section class="card stack" id="levels" aria-labelledby="levels-title">\n'
        f'  <h2 id="levels-title">{w["From reaction to ROI"]}</h2>\n'
        '  <div class="table-wrap"><table class="table">\n'
        f'    <thead><tr><th scope="col">{w["Level"]}</th><th scope="col">{w["What we found"]}'
        f'</th><th scope="col">{w["Based on"]}</th></tr></thead>\n'
        f"    <tbody>{level_rows(impact)}</tbody>\n"
        "  </table></div>\n"
        f"  {_table_downloads(f'cohort={impact.id}&table=levels', w)}\n"
        "</section>\n\n"
        '<section class="card stack" id="behaviour" aria-labelledby="behaviour-title">\n'
        f'  <h2 id="behaviour-title">{w["Behaviour change (360, others' ratings)"]}</h2>\n  ',
        _behaviour_html(impact, w),
        "\n</section>\n\n"
        '<section class="stack" id="results" aria-labelledby="results-title">\n'
        f'  <h2 id="results-title">{w["Team and business results"]}</h2>\n  ',
        _results_html(impact, org_slug, w),
        "\n</section>\n\n",
        _roi_html(impact, org_slug, w, benefits, costs, currency),
    ]
    return "".join(parts)


def _behaviour_html(impact: CohortImpact, w: dict[str, str]) -> str:
    if not impact.behaviour:
        return (
            "\n  "
            f'<p class="muted">{w["No 360 follow-up has closed for this cohort yet. Once baseline and follow-up reports are frozen for at least five learners, the mean change appears here with its confidence interval."]}</p>\n'
            "  "
        )
    chart = ""
    if any(c.mean_change is not None for c in impact.behaviour):  # the figure's points
        label = w[
            "Mean change per competency with 95% confidence intervals; the same figures are in the table below."
        ]
        chart = (
            '<div class="chart" data-plotly-figure="behaviour-figure" role="img" '
            f'aria-label="{label}"></div>'
            + figure_script(charts.behaviour_figure(impact.behaviour), "behaviour-figure")
        )
    return (
        f"\n  {chart}\n"
        '  <div class="table-wrap"><table class="table">\n'
        f'    <thead><tr><th scope="col">{w["Competency"]}</th>'
        f'<th scope="col" class="num">{w["Learners (pairs)"]}</th>'
        f'<th scope="col" class="num">{w["Mean change (95% CI)"]}</th>'
        f'<th scope="col" class="num">{w["d_av"]}</th>'
        f'<th scope="col" class="num">{w["d_z"]}</th>'
        f'<th scope="col" class="num">{w["Reliable improvement"]}</th></tr></thead>\n'
        f"    <tbody>{behaviour_rows(impact, MIN_CELL_SIZE)}</tbody>\n"
        "  </table></div>\n"
        f"  {_table_downloads(f'cohort={impact.id}&table=behaviour', w)}\n"
        f'  <p class="muted">{w["d_av divides the mean change by the average spread of scores before and after (comparable with studies of groups); d_z divides it by the spread of the changes (what sample sizes are planned with). Most single changes are within measurement error on a 5-point scale: reliable improvement needs about half a point."]}</p>\n'
        "  "
    )


def _results_html(impact: CohortImpact, org_slug: str, w: dict[str, str]) -> str:
    if not impact.metrics:
        return (
            '\n  <div class="empty-state">'
            f"<h2>{w['No team or business metrics in the plan']}</h2>"
            f"<p>{w["An admin adds the metrics expected to move to the cohort's measurement plan and enters their monthly values for participants' and comparison teams."]}</p></div>\n"
            "  "
        )
    start = start_of(impact)
    figures = [(m, charts.metric_figure(m, start), f"metric-{m.metric_id}") for m in impact.metrics]
    return "".join(metric_cards(impact, figures, org_slug))


def _roi_html(
    impact: CohortImpact,
    org_slug: str,
    w: dict[str, str],
    benefits: str,
    costs: str,
    currency: str,
) -> str:
    chart = ""
    if impact.benefit_rows or impact.cost_rows:
        label = w["Benefits by source against costs; the same figures are in the table below."]
        chart = (
            '\n  <div class="chart" data-plotly-figure="roi-figure" role="img" '
            f'aria-label="{label}"></div>'
            + figure_script(charts.roi_figure(impact), "roi-figure")
            + "\n  "
        )
    benefit_body: str
    cost_body: str
    if impact.benefit_rows:
        benefit_body = benefit_rows(impact, org_slug)
    else:
        benefit_body = (
            '<tr><td colspan="4">'
            f"{w['No benefit counted yet: confirmed project claims and monetised metrics with a comparison group appear here.']}"
            "</td></tr>"
        )
    if impact.cost_rows:
        cost_body = cost_rows(impact)
    else:
        cost_body = f'<tr><td colspan="3">{w["No costs recorded yet."]}</td></tr>'
    intangibles = ""
    if impact.intangibles:
        listed = "; ".join(_esc(i) for i in impact.intangibles)
        intangibles = (
            f"<p>{w['Intangibles, listed beside the ROI and never added in:']} {listed}</p>"
        )
    cohort = _value(impact.id)
    computed = _fill(
        w[
            "Phillips method: first-year benefits only, isolated and adjusted by confidence; non-respondents count zero; extreme or unsupported claims excluded; the lower of two estimates. Computed %(when)s UTC."
        ],
        {"when": date(template_localtime(impact.computed_at), "j M Y H:i")},
    )
    return (
        '<section class="card stack" id="roi" aria-labelledby="roi-title">\n'
        f'  <h2 id="roi-title">{w["ROI table"]}</h2>\n'
        f"  {chart}\n"
        '  <div class="table-wrap"><table class="table">\n'
        '    <caption class="visually-hidden">'
        f"{w['Benefits by source and fully loaded costs']}</caption>\n"
        f'    <thead><tr><th scope="col">{w["Benefit (first year)"]}</th>'
        f'<th scope="col">{w["Isolated by"]}</th>'
        f'<th scope="col" class="num">{w["Before adjustment"]}</th>'
        f'<th scope="col" class="num">{w["Counted"]}</th></tr></thead>\n'
        f"    <tbody>{benefit_body}\n"
        f'    <tr><th scope="row">{w["Total benefits"]}</th><td></td><td></td>'
        f'<td class="num"><strong>{benefits} {currency}</strong></td></tr>\n'
        "    </tbody>\n  </table></div>\n"
        '  <div class="table-wrap"><table class="table">\n'
        f'    <thead><tr><th scope="col">{w["Fully loaded cost"]}</th>'
        f'<th scope="col">{w["Detail"]}</th>'
        f'<th scope="col" class="num">{w["This cohort"]}</th></tr></thead>\n'
        f"    <tbody>{cost_body}\n"
        f'    <tr><th scope="row">{w["Total costs"]}</th><td></td>'
        f'<td class="num"><strong>{costs} {currency}</strong></td></tr>\n'
        "    </tbody>\n  </table></div>\n"
        f"  {intangibles}\n"
        f'  <p class="cluster"><a href="?cohort={cohort}&format=csv">{w["Download CSV"]}</a> '
        f'<a href="?cohort={cohort}&format=xlsx">{w["Download XLSX"]}</a></p>\n'
        f'  <p class="muted">{computed}</p>\n'
        "</section>\n"
    )


def _no_impact_html(w: dict[str, str]) -> str:
    return (
        '\n<header class="page-header">\n'
        f'  <h1 class="page-header__title">{w["Impact"]}</h1>\n'
        f'  <p class="page-header__lead">{w["What the programmes you fund changed, and what they returned."]}</p>\n'
        "</header>\n"
        f'<div class="empty-state"><h2>{w["No impact figures yet"]}</h2>'
        f"<p>{w['Impact appears once a cohort you sponsor has a measurement plan: the metrics expected to move, a comparison group and its costs. Your programme admin sets it up; figures refresh as results arrive and nightly.']}</p></div>\n"
    )


def _progress_html(report: TeamCompletionReport, w: dict[str, str]) -> str:
    head = (
        '\n<section class="card stack" aria-labelledby="progress-title">\n'
        f'  <h2 id="progress-title">{w["Programme progress by team"]}</h2>\n  '
    )
    if not report.teams:
        return (
            f'{head}\n  <p class="muted"><strong>{w["No progress to show yet"]}</strong> — '
            f"{w['once learners in teams of five or more start their pathways, completion by team appears here. Figures refresh after each completed step and nightly.']}</p>\n"
            "  \n</section>\n"
        )
    period = _fill(
        w["Period %(p)s; computed %(when)s UTC."],
        {
            "p": date(template_localtime(report.period), "M Y"),
            "when": date(template_localtime(report.computed_at), "j M Y H:i"),
        },
    )
    hidden = ""
    if report.hidden_teams:
        said = _fill(
            _hidden_teams(report.hidden_teams),
            {"n": report.hidden_teams, "min_cell": MIN_CELL_SIZE},
        )
        hidden = f'<p class="muted">{said}</p>'
    label = w["Bar chart of mean completion by team; the same figures are in the table below."]
    return (
        f"{head}\n"
        '  <div class="chart" data-plotly-figure="team-completion-figure" role="img" '
        f'aria-label="{label}"></div>\n'
        f"  {figure_script(charts.team_completion_figure(report), 'team-completion-figure')}\n"
        '  <details class="chart__table">\n'
        f"    <summary>{w['Data table']}</summary>\n"
        '    <div class="table-wrap"><table class="table">\n'
        f'      <thead><tr><th scope="col">{w["Team"]}</th>'
        f'<th scope="col" class="num">{w["Learners"]}</th>'
        f'<th scope="col" class="num">{w["Finished"]}</th>'
        f'<th scope="col" class="num">{w["Mean completion"]}</th></tr></thead>\n'
        f"      <tbody>{team_rows(report)}</tbody>\n"
        "    </table></div>\n"
        "  </details>\n"
        f"  {_table_downloads('table=progress', w)}\n"
        f'  <p class="muted">{period}</p>\n'
        f"  {hidden}\n"
        "  \n</section>\n"
    )


def page_html(page: SponsorImpact, report: TeamCompletionReport, org_slug: str) -> SafeString:
    """The content block of the impact page: the selected cohort's impact (or why there is
    none) and the programme's progress by team. No queries."""
    language = get_language()
    w = _words()
    impact = page.selected
    if impact is None:
        body = _no_impact_html(w)
    else:
        body = _impact_html(page, impact, org_slug, w, language)
    return SafeString(f"\n{body}\n{_progress_html(report, w)}")
