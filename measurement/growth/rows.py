"""The growth page's repeated parts as HTML, built once per page in Python (as the impact
page's are, ``measurement.impact_page``): the data table's rows and the card of each
competency.

The template resolved, filtered, translated and reversed in every cell of every competency:
most of the page's time. Here the same markup comes from string formatting, with the same
message ids (so translations apply alike), the same filters (``floatformat``, ``date``) and
the same escaping: byte for byte what the template wrote. No queries. What a reader sees is
what the picture holds (``queries.learner_growth``, ``queries.coachee_growth`` decide it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString
from django.utils.translation import gettext_noop

from measurement.growth.queries import (
    STRONG_EVIDENCE_MIN_ANSWERS,
    CompetencyGrowth,
    GrowthPicture,
    PageWords,
)
from organizations.html_parts import interpolate, url_with_id, value_html


def _figure_or_dash(value: float | None) -> str:
    """``|floatformat:2|default:"–"``."""
    return floatformat(value, 2) or "–"


def _others_cell(label: str, shown: bool, mean: float | None, n: int) -> str:
    if shown and mean is not None:
        figure = f'{floatformat(mean, 2)} <span class="muted">(n={value_html(n)})</span>'
    else:
        figure = "–"
    return f'\n        <td class="num" data-label="{label}">{figure}</td>'


def _pulse_cell(c: CompetencyGrowth, label: str, words: PageWords) -> str:
    p = c.latest_pulse
    if not p or p.others_mean is None:
        return f'\n        <td data-label="{label}">–</td>'
    text = interpolate(
        words("pulse %(number)s: %(mean)s (n=%(n)s)"),
        {"number": p.number, "mean": floatformat(p.others_mean, 2), "n": p.others_n},
    )
    if p.baseline_items_mean is not None:
        before = interpolate(
            words("vs %(before)s at the baseline on the same behaviours"),
            {"before": floatformat(p.baseline_items_mean, 2)},
        )
        text = f'{text} <span class="muted">{before}</span>'
    return f'\n        <td data-label="{label}">{text}</td>'


def chart_rows(picture: GrowthPicture) -> SafeString:
    """The rows of the chart's data table (``picture.charted``), with the whitespace the
    template's loop wrote around them."""
    new_baseline, learner_view = picture.has_new_baseline, picture.learner_view
    words = picture.words
    t_change, t_baseline = (
        value_html(words("Change and reading")),
        value_html(words("Baseline")),
    )
    t_follow_up, t_self = value_html(words("Follow-up")), value_html(words("Self (latest)"))
    t_new_baseline = value_html(words("New baseline"))
    t_pulse = value_html(words("Latest pulse"))
    rows = []
    for c in picture.charted:
        status_label = c.status_words(words)
        if c.rci is not None and c.has_follow_up:
            reading = (
                f"{value_html(c.change_text)} · RCI {floatformat(c.rci, 2)}: "
                f"<strong>{value_html(status_label.lower())}</strong>"
            )
        else:
            reading = value_html(status_label)
        new_cell = "\n        "
        if new_baseline:
            new_cell += _others_cell(
                t_new_baseline, c.has_new_baseline, c.new_baseline_others, c.new_baseline_others_n
            ).lstrip("\n ")
        pulse = _pulse_cell(c, t_pulse, words) if learner_view else "\n        "
        rows.append(
            "<tr>\n"
            f'        <th scope="row">{value_html(c.name)}</th>\n'
            f'        <td data-label="{t_change}">{reading}</td>'
            + _others_cell(t_baseline, c.has_baseline, c.baseline_others, c.baseline_others_n)
            + _others_cell(t_follow_up, c.has_follow_up, c.follow_up_others, c.follow_up_others_n)
            + new_cell
            + f'\n        <td class="num" data-label="{t_self}">'
            f"{_figure_or_dash(c.latest_self)}</td>" + pulse + "\n      </tr>"
        )
    return SafeString("".join(rows))


def _others_line(c: CompetencyGrowth, words: PageWords) -> str:
    """The card's "360, colleagues" figures: baseline → follow-up · new baseline."""
    text = ""
    if c.has_baseline:
        if c.baseline_others is not None:
            text = interpolate(
                words("baseline %(mean)s (n=%(n)s, %(when)s)"),
                {
                    "mean": floatformat(c.baseline_others, 2),
                    "n": c.baseline_others_n,
                    "when": words.day(c.baseline_on),
                },
            )
        else:
            text = interpolate(
                words("baseline hidden: too few colleagues answered (%(when)s)"),
                {"when": words.day(c.baseline_on)},
            )
    if c.has_follow_up:
        text += " → " + _later_reading(
            words,
            c.follow_up_others,
            c.follow_up_others_n,
            c.follow_up_on,
            gettext_noop("follow-up %(mean)s (n=%(n)s, %(when)s)"),
            gettext_noop("follow-up hidden: too few colleagues answered"),
        )
    if c.has_new_baseline:
        text += " · " + _later_reading(
            words,
            c.new_baseline_others,
            c.new_baseline_others_n,
            c.new_baseline_on,
            gettext_noop("new baseline %(mean)s (n=%(n)s, %(when)s)"),
            gettext_noop("new baseline hidden: too few colleagues answered"),
        )
    return text


def _later_reading(
    words: PageWords, mean: float | None, n: int, on: dt.date | None, shown: str, hidden: str
) -> str:
    """A later reading of the colleagues' mean: ``shown`` (message id with the mean, n and
    date) or, below the anonymity threshold, ``hidden``. The ids are literal at the call
    (``gettext_noop``) so that makemessages finds them."""
    if mean is None:
        return value_html(words(hidden))
    return interpolate(words(shown), {"mean": floatformat(mean, 2), "n": n, "when": words.day(on)})


def _self_line(c: CompetencyGrowth, words: PageWords) -> str:
    """The card's self-ratings: baseline → follow-up · new baseline · gap."""
    text = ""
    if c.has_baseline:
        text = interpolate(words("baseline %(v)s"), {"v": _figure_or_dash(c.baseline_self)})
    if c.has_follow_up:
        text += " → " + interpolate(
            words("follow-up %(v)s"), {"v": _figure_or_dash(c.follow_up_self)}
        )
    if c.has_new_baseline:
        text += " · " + interpolate(
            words("new baseline %(v)s"), {"v": _figure_or_dash(c.new_baseline_self)}
        )
    gap_label = c.gap_words(words)
    if gap_label:
        gap = interpolate(words("gap %(gap)s"), {"gap": c.gap_text})
        text += f" · {gap}: {value_html(gap_label)}"
    return text


def _knowledge(c: CompetencyGrowth, words: PageWords) -> str:
    percent = c.knowledge_percent
    if percent is None:
        return value_html(words("no practice answers yet"))
    n = c.mastery_answers
    text = words.n(
        "estimate %(pct)s%% from %(n)s answer", "estimate %(pct)s%% from %(n)s answers", n
    ) % {"pct": value_html(percent), "n": value_html(n)}
    if c.strong_evidence:
        text += f" · {value_html(words('strong quiz evidence'))}"
    elif n < STRONG_EVIDENCE_MIN_ANSWERS:
        text += f" · {value_html(words('too few answers to tell'))}"
    return text


def _report_links(
    c: CompetencyGrowth, report_url: Callable[[int], str], labels: tuple[str, str, str]
) -> str:
    """Links to the card's 360 reports, newest first (``labels`` name them in that order)."""
    ids = (c.new_baseline_report_id, c.follow_up_report_id, c.baseline_report_id)
    links = "".join(
        f'<a href="{report_url(pk)}">{label}</a>'
        for pk, label in zip(ids, labels, strict=True)
        if pk
    )
    return f'<p class="cluster">{links}</p>' if links else ""


def competency_cards(picture: GrowthPicture, org_slug: str) -> SafeString:
    """The card of each competency, with the whitespace the template's loop wrote around
    them."""
    report_url = url_with_id("feedback_report", org_slug)
    words = picture.words
    t_self = words("360, you") if picture.learner_view else words("360, self-rating")
    t_others, t_self = value_html(words("360, colleagues")), value_html(t_self)
    t_observations, t_knowledge = (
        value_html(words("Observations")),
        value_html(words("Knowledge from practice")),
    )
    t_goals = value_html(words("Goals"))
    report_labels = (
        value_html(words("New baseline report")),
        value_html(words("Follow-up report")),
        value_html(words("Baseline report")),
    )
    cards = []
    for c in picture.competencies:
        since = f"<p>{value_html(c.since_sentence)}</p>" if c.since_sentence else ""
        pulse = f'<p class="muted">{value_html(c.pulse_sentence)}</p>' if c.pulse_sentence else ""
        the_360 = ""
        if c.has_360:
            the_360 = (
                f"\n      <dt>{t_others}</dt>\n      <dd>{_others_line(c, words)}</dd>\n"
                f"      <dt>{t_self}</dt>\n      <dd>{_self_line(c, words)}</dd>\n      "
            )
        if c.observations:
            seen = value_html(c.observation_words(words))
            if c.last_observed_on:
                seen += " · " + interpolate(
                    words("latest %(when)s"), {"when": words.day(c.last_observed_on)}
                )
        else:
            seen = value_html(words("none yet"))
        if c.goals:
            goals = words.n(
                "%(achieved)s of %(n)s goal achieved",
                "%(achieved)s of %(n)s goals achieved",
                c.goals,
            ) % {"achieved": value_html(c.goals_achieved), "n": value_html(c.goals)}
        else:
            goals = value_html(words("none on this competency"))
        cards.append(
            f'\n  <li class="card stack" id="competency-{c.competency_id}">\n'
            f'    <div class="split"><h3 class="card__title">{value_html(c.name)}</h3>'
            f'<span class="badge {c.badge}">{value_html(c.status_words(words))}</span></div>\n'
            f"    <p>{value_html(c.sentence)}</p>\n"
            f"    {since}\n"
            f"    {pulse}\n"
            '    <dl class="kv">\n'
            f"      {the_360}\n"
            f"      <dt>{t_observations}</dt>\n"
            f"      <dd>{seen}</dd>\n"
            f"      <dt>{t_knowledge}</dt>\n"
            f"      <dd>{_knowledge(c, words)}</dd>\n"
            f"      <dt>{t_goals}</dt>\n"
            f"      <dd>{goals}</dd>\n"
            "    </dl>\n"
            f"    {_report_links(c, report_url, report_labels)}\n"
            "  </li>\n"
        )
    return SafeString("".join(cards))
