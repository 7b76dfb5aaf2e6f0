"""The growth page's content (``growth.html``'s content block) as HTML, built once per page in
Python: the header, the headline card with its status per competency, the chart with its data
table, the competency cards, the downloads and how it is worked out, or the empty state.

The template translated every heading and paragraph, resolved and reversed its links and looped
over the competencies: more Python than the page's read. Here the same markup comes from string
formatting, with the same message ids (translated once per catalogue, the picture's
``PageWords``), the same filters and the same escaping (values escaped, the template's translated literals inserted
as it inserted them): byte for byte what the template wrote (tests/measurement/test_growth_page
holds it to the template's content block). No queries.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

from measurement.growth.queries import GrowthPicture, PageWords
from measurement.templatetags.figures import figure_script
from organizations.html_parts import interpolate, url, url_with_id, value_html
from organizations.templatetags.list_parts import table_downloads_html


def _literal(words: PageWords, message: str) -> str:
    """``{% translate "message" %}``: its percent signs doubled in the message id and restored
    in the text, the text inserted as it is (a template's literal is safe)."""
    return words(message.replace("%", "%%")).replace("%%", "%")


def _url(name: str, *args: Any) -> str:
    """``{% url name *args %}`` (reversed once, ``html_parts.url``)."""
    return conditional_escape(url(name, *args))


def _engagement_url(org_slug: str, engagement_id: Any) -> str:
    """``{% url "engagement_detail" org_slug engagement_id %}`` (one reverse for every
    engagement, ``html_parts.url_with_id``)."""
    return conditional_escape(url_with_id("engagement_detail", org_slug)(engagement_id))


def _header(picture: GrowthPicture, org_slug: str, t: Any) -> str:
    if picture.learner_view:
        try:
            knowledge_url = url("my_growth", org_slug)
        except NoReverseMatch:  # ``{% url … as … %}`` leaves it empty
            knowledge_url = ""
        knowledge = (
            f'<a class="btn btn--secondary" href="{conditional_escape(knowledge_url)}">'
            f"{t('Knowledge from practice')}</a>"
            if knowledge_url
            else ""
        )
        return (
            f'\n  <h1 class="page-header__title">{t("My growth")}</h1>\n'
            f'  <p class="page-header__lead">{t("Where you are growing, and how sure that is: 360 feedback, observations, practice and goals per competency.")}</p>\n'  # noqa: E501
            f'  <div class="page-header__actions">{knowledge}<a class="btn btn--link" '
            f'href="{_url("my_feedback", org_slug)}">{t("360 feedback")}</a></div>\n  '
        )
    words, name = picture.words, {"name": picture.person}
    return (
        '\n  <h1 class="page-header__title">'
        f"{interpolate(words('Growth: %(name)s'), name)}</h1>\n"
        '  <p class="page-header__lead">'
        f"{interpolate(words("%(name)s's growth per competency. 360 figures appear only from reports %(name)s shared with you; pulses stay with them."), name)}</p>\n"  # noqa: E501
        '  <div class="page-header__actions"><a class="btn btn--secondary" '
        f'href="{_engagement_url(org_slug, picture.engagement_id)}">'
        f"{t('Back to the engagement')}</a>"
        f'<a class="btn btn--link" href="{_url("coach_patterns", org_slug)}">'
        f"{t('Patterns across coachees')}</a></div>\n  "
    )


def _chart(picture: GrowthPicture, figure: Any, chart_rows: str, t: Any, downloads: str) -> str:
    new_baseline = (
        f'<th scope="col" class="num">{t("New baseline")}</th>' if picture.has_new_baseline else ""
    )
    pulse = f'<th scope="col">{t("Latest pulse")}</th>' if picture.learner_view else ""
    return (
        '\n<section class="card stack" aria-labelledby="chart-title">\n'
        f'  <h2 class="card__title" id="chart-title">{t("What colleagues see (360, others' mean)")}</h2>\n'  # noqa: E501
        '  <div class="chart" data-plotly-figure="growth-figure" role="img" '
        f'aria-label="{t("Dot plot of colleagues mean rating per competency at the baseline, the follow-up and the latest pulse; the same figures are in the table below.")}"></div>\n'  # noqa: E501
        f"  {figure_script(figure, 'growth-figure')}\n"
        '  <details class="chart__table" open>\n'
        f"    <summary>{t('Data table (1–5 scale; n = raters in the groups shown)')}</summary>\n"
        '    <div class="table-wrap" tabindex="0" role="region" '
        f'aria-label="{t("Colleagues ratings per competency")}">'
        '<table class="table table--stack">\n'
        f'      <thead><tr><th scope="col">{t("Competency")}</th>'
        f'<th scope="col">{t("Change and reading")}</th>'
        f'<th scope="col" class="num">{t("Baseline")}</th>'
        f'<th scope="col" class="num">{t("Follow-up")}</th>{new_baseline}'
        f'<th scope="col" class="num">{t("Self (latest)")}</th>{pulse}</tr></thead>\n'
        f"      <tbody>{chart_rows}</tbody>\n"
        "    </table></div>\n"
        "  </details>\n"
        f"  {downloads}\n"
        "</section>\n"
    )


def _how(picture: GrowthPicture, t: Any) -> str:
    computed = ""
    if picture.computed_at:
        when = date_filter(template_localtime(picture.computed_at, settings.USE_TZ), "j M Y, H:i")
        text = interpolate(
            picture.words(
                "Figures as of %(when)s; they update a few minutes after new evidence arrives."
            ),
            {"when": when},
        )
        computed = f'<p class="muted">{text}</p>'
    return (
        '\n\n<details class="card card--muted stack" id="how">\n'
        f"  <summary>{t('How is this worked out?')}</summary>\n"
        f"  <p>{t('''360 figures come from frozen 360 reports: colleagues' mean is the mean of the rater groups shown (manager, peers, direct reports, others); a group with too few answers to stay anonymous is left out, never folded in. A change between the baseline and the follow-up is called reliable only when the reliable change index (Jacobson & Truax) is beyond ±1.96: larger than what differences between raters and occasions explain. On a 5-point scale that usually needs about half a point, so most single changes read “within rater noise”; that is not a failure, just too small to tell.''')}</p>\n"  # noqa: E501
        f"  <p>{t('''Pulses are short: a few behaviours, the manager and peers only. They show a direction between two 360s, compared with the baseline on the same behaviours, never a reliable change. Self-ratings are usually a little more generous than colleagues' ratings (about d = 0.32).''')}</p>\n"  # noqa: E501
        f"  <p>{t('''Observations are what a coach or an invited colleague saw, on the competency's proficiency scale. The knowledge estimate is Bayesian Knowledge Tracing of practice answers on the module content (learning, not behaviour); it is called strong from 95% and eight answers. Goals are the coaching goals set on the competency.''')}</p>\n"  # noqa: E501
        f"  {computed}\n"
        "</details>\n"
    )


def _empty(picture: GrowthPicture, org_slug: str, t: Any) -> str:
    if picture.learner_view:
        body = (
            f"\n  <h2>{t('Your growth shows here as evidence arrives')}</h2>\n"
            f"  <p>{t('Your 360 baseline, an observation by your coach or a colleague, a coaching goal on a competency and your practice answers all count. Once the first arrives, this page shows where you stand and, after a follow-up 360, whether colleagues see a reliable change.')}</p>\n"  # noqa: E501
            '  <p class="cluster"><a class="btn btn--primary" '
            f'href="{_url("my_feedback", org_slug)}">{t("Go to your 360 feedback")}</a>'
            f'<a class="btn btn--secondary" href="{_url("my_coaching", org_slug)}">'
            f"{t('Coaching')}</a></p>\n  "
        )
    else:
        body = (
            f"\n  <h2>{t('No evidence on this coachee yet')}</h2>\n"
            f"  <p>{t('Record an observation or set a goal on a competency from the engagement page; 360 figures appear once the coachee shares a report with you.')}</p>\n"  # noqa: E501
            '  <p><a class="btn btn--primary" '
            f'href="{_engagement_url(org_slug, picture.engagement_id)}">'
            f"{t('Back to the engagement')}</a></p>\n  "
        )
    return f'\n<div class="empty-state">\n  {body}\n</div>\n'


def content_html(
    picture: GrowthPicture,
    org_slug: str,
    figure: Any = None,
    chart_rows: str = "",
    competency_cards: str = "",
) -> SafeString:
    """``growth.html``'s content block for ``picture`` (``figure``, ``chart_rows`` and
    ``competency_cards`` as the view forms them)."""
    words = picture.words

    def t(message: str) -> str:
        return _literal(words, message)

    parts = ['\n<header class="page-header">\n  ', _header(picture, org_slug, t), "\n</header>\n\n"]
    if not picture.competencies:
        parts.append(_empty(picture, org_slug, t))
    else:
        statuses = "".join(
            f'<li><a href="#competency-{c.competency_id}">{value_html(c.name)}</a> '
            f'<span class="badge {conditional_escape(c.badge)}">'
            f"{value_html(c.status_words(words))}</span></li>"
            for c in picture.competencies
        )
        evidence_line = picture.evidence_line
        evidence = (
            f'<p class="muted">{t("Also:")} {value_html(evidence_line)}.</p>'
            if evidence_line
            else ""
        )
        parts.append(
            '\n<section class="card card--primary stack" aria-labelledby="headline-title">\n'
            '  <h2 class="card__title" id="headline-title">'
            f"{t('Am I growing?') if picture.learner_view else t('In short')}</h2>\n"
            f"  <p>{value_html(picture.headline)}</p>\n"
            f"  {evidence}\n"
            '  <ul class="cluster" role="list" '
            f'aria-label="{t("Status per competency")}">\n'
            f"    {statuses}\n"
            "  </ul>\n"
            "</section>\n"
        )
        if not picture.learner_view and picture.not_shared:
            text = interpolate(
                words.n(
                    "Not shared with you: %(n)s of %(name)s's 360 reports. Its figures are left "
                    "out, and so is any change that would reveal them.",
                    "Not shared with you: %(n)s of %(name)s's 360 reports. Their figures are "
                    "left out, and so is any change that would reveal them.",
                    picture.not_shared,
                ),
                {"n": picture.not_shared, "name": picture.person},
            )
            parts.append(f'\n<p class="message message--info">{text}</p>\n')
        parts.append("\n\n")
        downloads = table_downloads_html(what=words("the figures of every competency"))
        if figure:
            parts.append(_chart(picture, figure, chart_rows, t, downloads))
        parts.append(
            f"\n\n<h2>{t('Per competency')}</h2>\n"
            f'<ul class="stack" role="list">\n{competency_cards}\n</ul>\n'
            f"{'' if figure else downloads}"
        )
        parts.append(_how(picture, t))
    parts.append("\n")
    return SafeString("".join(parts))
