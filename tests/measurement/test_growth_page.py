"""The growth page's content written in Python (measurement/growth/page.py): the same HTML
as the template's content block it replaced, for the learner's view and the coach's, with and
without a chart, evidence, unshared reports and names to escape."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.template import Context, Template

from measurement.growth import charts, page, rows
from measurement.growth.queries import GrowthPicture, PageWords, _with_words
from tests.measurement.test_growth_rows import _competencies

# The content block of templates/measurement/growth.html as it was.
_CONTENT = (
    "{% load figures i18n static %}"
    "\n"
    '<header class="page-header">\n'
    "  {% if picture.learner_view %}\n"
    '  <h1 class="page-header__title">{% translate "My growth" %}</h1>\n'
    '  <p class="page-header__lead">{% translate "Where you are growing, and how sure that is: 360 feedback, observations, practice and goals per competency." %}</p>\n'
    '  <div class="page-header__actions">{% url \'my_growth\' org.slug as knowledge_url %}{% if knowledge_url %}<a class="btn btn--secondary" href="{{ knowledge_url }}">{% translate "Knowledge from practice" %}</a>{% endif %}<a class="btn btn--link" href="{% url \'my_feedback\' org.slug %}">{% translate "360 feedback" %}</a></div>\n'
    "  {% else %}\n"
    '  <h1 class="page-header__title">{% blocktranslate with name=picture.person %}Growth: {{ name }}{% endblocktranslate %}</h1>\n'
    '  <p class="page-header__lead">{% blocktranslate with name=picture.person %}{{ name }}\'s growth per competency. 360 figures appear only from reports {{ name }} shared with you; pulses stay with them.{% endblocktranslate %}</p>\n'
    '  <div class="page-header__actions"><a class="btn btn--secondary" href="{% url \'engagement_detail\' org.slug picture.engagement_id %}">{% translate "Back to the engagement" %}</a><a class="btn btn--link" href="{% url \'coach_patterns\' org.slug %}">{% translate "Patterns across coachees" %}</a></div>\n'
    "  {% endif %}\n"
    "</header>\n"
    "\n"
    "{% if picture.competencies %}\n"
    '<section class="card card--primary stack" aria-labelledby="headline-title">\n'
    '  <h2 class="card__title" id="headline-title">{% if picture.learner_view %}{% translate "Am I growing?" %}{% else %}{% translate "In short" %}{% endif %}</h2>\n'
    "  <p>{{ picture.headline }}</p>\n"
    '  {% if picture.evidence_line %}<p class="muted">{% translate "Also:" %} {{ picture.evidence_line }}.</p>{% endif %}\n'
    '  <ul class="cluster" role="list" aria-label="{% translate \'Status per competency\' %}">\n'
    '    {% for c in picture.competencies %}<li><a href="#competency-{{ c.competency_id }}">{{ c.name }}</a> <span class="badge {{ c.badge }}">{{ c.status_label }}</span></li>{% endfor %}\n'
    "  </ul>\n"
    "</section>\n"
    "{% if not picture.learner_view and picture.not_shared %}\n"
    "<p class=\"message message--info\">{% blocktranslate count n=picture.not_shared with name=picture.person %}Not shared with you: {{ n }} of {{ name }}'s 360 reports. Its figures are left out, and so is any change that would reveal them.{% plural %}Not shared with you: {{ n }} of {{ name }}'s 360 reports. Their figures are left out, and so is any change that would reveal them.{% endblocktranslate %}</p>\n"
    "{% endif %}\n"
    "\n"
    "{% if figure %}\n"
    '<section class="card stack" aria-labelledby="chart-title">\n'
    '  <h2 class="card__title" id="chart-title">{% translate "What colleagues see (360, others\' mean)" %}</h2>\n'
    '  <div class="chart" data-plotly-figure="growth-figure" role="img" aria-label="{% translate \'Dot plot of colleagues mean rating per competency at the baseline, the follow-up and the latest pulse; the same figures are in the table below.\' %}"></div>\n'
    '  {{ figure|figure_script:"growth-figure" }}\n'
    '  <details class="chart__table" open>\n'
    '    <summary>{% translate "Data table (1–5 scale; n = raters in the groups shown)" %}</summary>\n'
    '    <div class="table-wrap" tabindex="0" role="region" aria-label="{% translate \'Colleagues ratings per competency\' %}"><table class="table table--stack">\n'
    '      <thead><tr><th scope="col">{% translate "Competency" %}</th><th scope="col">{% translate "Change and reading" %}</th><th scope="col" class="num">{% translate "Baseline" %}</th><th scope="col" class="num">{% translate "Follow-up" %}</th>{% if picture.has_new_baseline %}<th scope="col" class="num">{% translate "New baseline" %}</th>{% endif %}<th scope="col" class="num">{% translate "Self (latest)" %}</th>{% if picture.learner_view %}<th scope="col">{% translate "Latest pulse" %}</th>{% endif %}</tr></thead>\n'
    "      <tbody>{{ chart_rows }}</tbody>\n"
    "    </table></div>\n"
    "  </details>\n"
    '  {% translate "the figures of every competency" as what %}{% include "includes/table_downloads.html" with what=what %}\n'
    "</section>\n"
    "{% endif %}\n"
    "\n"
    '<h2>{% translate "Per competency" %}</h2>\n'
    '<ul class="stack" role="list">\n'
    "{{ competency_cards }}\n"
    "</ul>\n"
    '{% if not figure %}{% translate "the figures of every competency" as what %}{% include "includes/table_downloads.html" with what=what %}{% endif %}\n'
    "\n"
    '<details class="card card--muted stack" id="how">\n'
    '  <summary>{% translate "How is this worked out?" %}</summary>\n'
    '  <p>{% translate "360 figures come from frozen 360 reports: colleagues\' mean is the mean of the rater groups shown (manager, peers, direct reports, others); a group with too few answers to stay anonymous is left out, never folded in. A change between the baseline and the follow-up is called reliable only when the reliable change index (Jacobson & Truax) is beyond ±1.96: larger than what differences between raters and occasions explain. On a 5-point scale that usually needs about half a point, so most single changes read “within rater noise”; that is not a failure, just too small to tell." %}</p>\n'
    '  <p>{% translate "Pulses are short: a few behaviours, the manager and peers only. They show a direction between two 360s, compared with the baseline on the same behaviours, never a reliable change. Self-ratings are usually a little more generous than colleagues\' ratings (about d = 0.32)." %}</p>\n'
    '  <p>{% translate "Observations are what a coach or an invited colleague saw, on the competency\'s proficiency scale. The knowledge estimate is Bayesian Knowledge Tracing of practice answers on the module content (learning, not behaviour); it is called strong from 95% and eight answers. Goals are the coaching goals set on the competency." %}</p>\n'
    '  {% if picture.computed_at %}<p class="muted">{% blocktranslate with when=picture.computed_at|date:"j M Y, H:i" %}Figures as of {{ when }}; they update a few minutes after new evidence arrives.{% endblocktranslate %}</p>{% endif %}\n'
    "</details>\n"
    "{% else %}\n"
    '<div class="empty-state">\n'
    "  {% if picture.learner_view %}\n"
    '  <h2>{% translate "Your growth shows here as evidence arrives" %}</h2>\n'
    '  <p>{% translate "Your 360 baseline, an observation by your coach or a colleague, a coaching goal on a competency and your practice answers all count. Once the first arrives, this page shows where you stand and, after a follow-up 360, whether colleagues see a reliable change." %}</p>\n'
    '  <p class="cluster"><a class="btn btn--primary" href="{% url \'my_feedback\' org.slug %}">{% translate "Go to your 360 feedback" %}</a><a class="btn btn--secondary" href="{% url \'my_coaching\' org.slug %}">{% translate "Coaching" %}</a></p>\n'
    "  {% else %}\n"
    '  <h2>{% translate "No evidence on this coachee yet" %}</h2>\n'
    '  <p>{% translate "Record an observation or set a goal on a competency from the engagement page; 360 figures appear once the coachee shares a report with you." %}</p>\n'
    '  <p><a class="btn btn--primary" href="{% url \'engagement_detail\' org.slug picture.engagement_id %}">{% translate "Back to the engagement" %}</a></p>\n'
    "  {% endif %}\n"
    "</div>\n"
    "{% endif %}\n"
)


def _picture(learner_view: bool, count: int, **extra: object) -> GrowthPicture:
    words = PageWords()
    values: dict[str, object] = {
        "person": "Cora <b>&\"'",
        "learner_view": learner_view,
        "competencies": [_with_words(c, learner_view, words) for c in _competencies()[:count]],
        "computed_at": dt.datetime(2026, 11, 30, 23, 45, tzinfo=dt.UTC),
        "engagement_id": 7,
        "words": words,
    }
    values.update(extra)
    return GrowthPicture(**values)  # type: ignore[arg-type]


def _both(picture: GrowthPicture, charted: bool = True) -> tuple[str, str]:
    figure = charts.growth_figure(picture) if charted and picture.charted else None
    chart_rows = rows.chart_rows(picture) if figure else ""
    cards = rows.competency_cards(picture, "acme") if picture.competencies else ""
    context = Context(
        {
            "picture": picture,
            "figure": figure,
            "chart_rows": chart_rows,
            "competency_cards": cards,
            "org": {"slug": "acme"},
        }
    )
    expected = Template(_CONTENT).render(context)
    return page.content_html(picture, "acme", figure, chart_rows, cards), expected


@pytest.mark.parametrize("learner_view", [True, False])
@pytest.mark.parametrize("count", [0, 1, 2, 9])
@pytest.mark.parametrize("charted", [True, False])
def test_the_content_is_what_the_template_wrote(learner_view, count, charted):
    built, expected = _both(_picture(learner_view, count), charted)
    assert built == expected


@pytest.mark.parametrize("not_shared", [0, 1, 3])
def test_the_coachs_view_with_reports_not_shared(not_shared):
    built, expected = _both(_picture(False, 9, not_shared=not_shared, computed_at=None))
    assert built == expected
    assert ("Not shared with you" in built) == bool(not_shared)


def test_a_picture_without_evidence_besides_360_or_a_computed_time():
    picture = _picture(True, 1, computed_at=None)
    lone = replace(picture.competencies[0], observations=0, goals=0, p_known=None)
    built, expected = _both(replace(picture, competencies=[lone]))
    assert built == expected
    assert "Also:" not in built and "Figures as of" not in built


def test_the_shapes_reach_every_branch():
    learner = _both(_picture(True, 9))[0]
    coach = _both(_picture(False, 9, not_shared=2))[0]
    empty = _both(_picture(True, 0))[0] + _both(_picture(False, 0))[0]
    for text, html in (
        ("Cora &lt;b&gt;&amp;&quot;&#x27;", coach),
        ("data-plotly-figure", learner),
        ("Figures as of 30 Nov 2026", learner),
        ("Also:", learner),
        ('<th scope="col" class="num">New baseline</th>', learner),
        ("Latest pulse", learner),
        ("Patterns across coachees", coach),
        ("Your growth shows here as evidence arrives", empty),
        ("No evidence on this coachee yet", empty),
        ("Download the figures of every competency:", learner),
    ):
        assert text in html, text
