"""The growth page's table rows and competency cards written in Python
(measurement/growth/rows.py): the same HTML as the template loops they replaced, for the
learner's view and the coach's, over competencies of every shape."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.template import Context, Template

from measurement.growth import rows
from measurement.growth.queries import (
    DECLINE,
    IMPROVEMENT,
    WITHIN,
    CompetencyGrowth,
    GrowthPicture,
    PulsePoint,
    _with_words,
)

# The loops of templates/measurement/growth.html as they were, with the words they used.
_WORDS = '{% translate "Change and reading" as t_change %}{% translate "Baseline" as t_baseline %}{% translate "Follow-up" as t_follow_up %}{% translate "New baseline" as t_new_baseline %}{% translate "Self (latest)" as t_self %}{% translate "Latest pulse" as t_pulse %}{% translate "360, colleagues" as t_360_others %}{% translate "follow-up hidden: too few colleagues answered" as t_follow_up_hidden %}{% translate "new baseline hidden: too few colleagues answered" as t_new_baseline_hidden %}{% translate "360, you" as t_360_you %}{% translate "360, self-rating" as t_360_self %}{% translate "Observations" as t_observations %}{% translate "none yet" as t_none_yet %}{% translate "Knowledge from practice" as t_knowledge %}{% translate "strong quiz evidence" as t_strong %}{% translate "too few answers to tell" as t_too_few %}{% translate "no practice answers yet" as t_no_answers %}{% translate "Goals" as t_goals %}{% translate "none on this competency" as t_no_goals %}{% translate "New baseline report" as t_new_baseline_report %}{% translate "Follow-up report" as t_follow_up_report %}{% translate "Baseline report" as t_baseline_report %}'

_ROWS = (
    "{% for c in picture.charted %}<tr>\n"
    '        <th scope="row">{{ c.name }}</th>\n'
    '        <td data-label="{{ t_change }}">{% if c.rci is not None and c.has_follow_up %}{{ c.change_text }} · RCI {{ c.rci|floatformat:2 }}: <strong>{{ c.status_label|lower }}</strong>{% else %}{{ c.status_label }}{% endif %}</td>\n'
    '        <td class="num" data-label="{{ t_baseline }}">{% if c.has_baseline and c.baseline_others is not None %}{{ c.baseline_others|floatformat:2 }} <span class="muted">(n={{ c.baseline_others_n }})</span>{% else %}–{% endif %}</td>\n'
    '        <td class="num" data-label="{{ t_follow_up }}">{% if c.has_follow_up and c.follow_up_others is not None %}{{ c.follow_up_others|floatformat:2 }} <span class="muted">(n={{ c.follow_up_others_n }})</span>{% else %}–{% endif %}</td>\n'
    '        {% if picture.has_new_baseline %}<td class="num" data-label="{{ t_new_baseline }}">{% if c.has_new_baseline and c.new_baseline_others is not None %}{{ c.new_baseline_others|floatformat:2 }} <span class="muted">(n={{ c.new_baseline_others_n }})</span>{% else %}–{% endif %}</td>{% endif %}\n'
    '        <td class="num" data-label="{{ t_self }}">{{ c.latest_self|floatformat:2|default:"–" }}</td>\n'
    '        {% if picture.learner_view %}<td data-label="{{ t_pulse }}">{% with p=c.latest_pulse %}{% if p and p.others_mean is not None %}{% blocktranslate with number=p.number mean=p.others_mean|floatformat:2 n=p.others_n %}pulse {{ number }}: {{ mean }} (n={{ n }}){% endblocktranslate %}{% if p.baseline_items_mean is not None %} <span class="muted">{% blocktranslate with before=p.baseline_items_mean|floatformat:2 %}vs {{ before }} at the baseline on the same behaviours{% endblocktranslate %}</span>{% endif %}{% else %}–{% endif %}{% endwith %}</td>{% endif %}\n'
    "      </tr>{% endfor %}"
)

_CARDS = (
    "{% for c in picture.competencies %}\n"
    '  <li class="card stack" id="competency-{{ c.competency_id }}">\n'
    '    <div class="split"><h3 class="card__title">{{ c.name }}</h3><span class="badge {{ c.badge }}">{{ c.status_label }}</span></div>\n'
    "    <p>{{ c.sentence }}</p>\n"
    "    {% if c.since_sentence %}<p>{{ c.since_sentence }}</p>{% endif %}\n"
    '    {% if c.pulse_sentence %}<p class="muted">{{ c.pulse_sentence }}</p>{% endif %}\n'
    '    <dl class="kv">\n'
    "      {% if c.has_360 %}\n"
    "      <dt>{{ t_360_others }}</dt>\n"
    '      <dd>{% if c.has_baseline %}{% if c.baseline_others is not None %}{% blocktranslate with mean=c.baseline_others|floatformat:2 n=c.baseline_others_n when=c.baseline_on|date:"j M Y" %}baseline {{ mean }} (n={{ n }}, {{ when }}){% endblocktranslate %}{% else %}{% blocktranslate with when=c.baseline_on|date:"j M Y" %}baseline hidden: too few colleagues answered ({{ when }}){% endblocktranslate %}{% endif %}{% endif %}{% if c.has_follow_up %} → {% if c.follow_up_others is not None %}{% blocktranslate with mean=c.follow_up_others|floatformat:2 n=c.follow_up_others_n when=c.follow_up_on|date:"j M Y" %}follow-up {{ mean }} (n={{ n }}, {{ when }}){% endblocktranslate %}{% else %}{{ t_follow_up_hidden }}{% endif %}{% endif %}{% if c.has_new_baseline %} · {% if c.new_baseline_others is not None %}{% blocktranslate with mean=c.new_baseline_others|floatformat:2 n=c.new_baseline_others_n when=c.new_baseline_on|date:"j M Y" %}new baseline {{ mean }} (n={{ n }}, {{ when }}){% endblocktranslate %}{% else %}{{ t_new_baseline_hidden }}{% endif %}{% endif %}</dd>\n'
    "      <dt>{% if picture.learner_view %}{{ t_360_you }}{% else %}{{ t_360_self }}{% endif %}</dt>\n"
    '      <dd>{% if c.has_baseline %}{% blocktranslate with v=c.baseline_self|floatformat:2|default:"–" %}baseline {{ v }}{% endblocktranslate %}{% endif %}{% if c.has_follow_up %} → {% blocktranslate with v=c.follow_up_self|floatformat:2|default:"–" %}follow-up {{ v }}{% endblocktranslate %}{% endif %}{% if c.has_new_baseline %} · {% blocktranslate with v=c.new_baseline_self|floatformat:2|default:"–" %}new baseline {{ v }}{% endblocktranslate %}{% endif %}{% if c.gap_label %} · {% blocktranslate with gap=c.gap_text %}gap {{ gap }}{% endblocktranslate %}: {{ c.gap_label }}{% endif %}</dd>\n'
    "      {% endif %}\n"
    "      <dt>{{ t_observations }}</dt>\n"
    '      <dd>{% if c.observations %}{{ c.observation_label }}{% if c.last_observed_on %} · {% blocktranslate with when=c.last_observed_on|date:"j M Y" %}latest {{ when }}{% endblocktranslate %}{% endif %}{% else %}{{ t_none_yet }}{% endif %}</dd>\n'
    "      <dt>{{ t_knowledge }}</dt>\n"
    "      <dd>{% if c.knowledge_percent is not None %}{% blocktranslate with pct=c.knowledge_percent count n=c.mastery_answers %}estimate {{ pct }}% from {{ n }} answer{% plural %}estimate {{ pct }}% from {{ n }} answers{% endblocktranslate %}{% if c.strong_evidence %} · {{ t_strong }}{% elif c.mastery_answers < 8 %} · {{ t_too_few }}{% endif %}{% else %}{{ t_no_answers }}{% endif %}</dd>\n"
    "      <dt>{{ t_goals }}</dt>\n"
    "      <dd>{% if c.goals %}{% blocktranslate with achieved=c.goals_achieved count n=c.goals %}{{ achieved }} of {{ n }} goal achieved{% plural %}{{ achieved }} of {{ n }} goals achieved{% endblocktranslate %}{% else %}{{ t_no_goals }}{% endif %}</dd>\n"
    "    </dl>\n"
    '    {% if c.baseline_report_id or c.follow_up_report_id or c.new_baseline_report_id %}<p class="cluster">{% if c.new_baseline_report_id %}<a href="{% url \'feedback_report\' org.slug c.new_baseline_report_id %}">{{ t_new_baseline_report }}</a>{% endif %}{% if c.follow_up_report_id %}<a href="{% url \'feedback_report\' org.slug c.follow_up_report_id %}">{{ t_follow_up_report }}</a>{% endif %}{% if c.baseline_report_id %}<a href="{% url \'feedback_report\' org.slug c.baseline_report_id %}">{{ t_baseline_report }}</a>{% endif %}</p>{% endif %}\n'
    "  </li>\n"
    "{% endfor %}"
)


def _pulse(number: int, mean: float | None, before: float | None) -> PulsePoint:
    return PulsePoint(
        number=number,
        closes_on=dt.date(2026, 5, 1),
        items=2,
        others_mean=mean,
        others_n=5,
        baseline_items_mean=before,
    )


def _competencies() -> list[CompetencyGrowth]:
    """Every shape: names to escape, hidden figures and reports, new baselines, pulses with and
    without a baseline mean, knowledge none, strong and thin, goals none, one and several."""
    base = CompetencyGrowth(
        competency_id=1,
        name="Strategy & <thinking>",
        baseline_on=dt.date(2026, 1, 9),
        baseline_others=2.625,
        baseline_others_n=5,
        baseline_self=3.25,
        baseline_report_id=41,
    )
    later = replace(
        base,
        competency_id=2,
        name="O'Brien's \"change\"",
        follow_up_on=dt.date(2026, 6, 30),
        follow_up_others=3.5,
        follow_up_others_n=1234,
        follow_up_self=None,
        follow_up_report_id=42,
        change=0.875,
        rci=2.345,
        reading=IMPROVEMENT,
        pulses=[_pulse(1, 3.125, 2.5), _pulse(2, 3.0, None)],
        observations=2,
        observation_mean=3.5,
        observation_scale_max=5,
        last_observed_on=dt.date(2026, 12, 2),
        p_known=0.97,
        mastery_answers=9,
        mastered=True,
        goals=3,
        goals_achieved=1,
    )
    return [
        base,
        later,
        replace(
            later,
            competency_id=3,
            rci=-2.5,
            change=-0.75,
            reading=DECLINE,
            goals=1,
            pulses=[_pulse(1, 3.125, 2.5)],
        ),
        replace(
            later,
            competency_id=4,
            rci=0.5,
            reading=WITHIN,
            follow_up_others=None,
            baseline_self=None,
            new_baseline_on=dt.date(2026, 11, 3),
            new_baseline_others=4.0,
            new_baseline_others_n=6,
            new_baseline_self=2.0,
            new_baseline_report_id=43,
            pulses=[_pulse(1, None, 2.0)],
            p_known=0.2,
            mastery_answers=1,
            mastered=False,
            last_observed_on=None,
        ),
        replace(
            later,
            competency_id=5,
            baseline_others=None,
            new_baseline_on=dt.date(2026, 11, 3),
            new_baseline_others=None,
            p_known=0.999,
            mastery_answers=8,
            mastered=False,
            observation_mean=None,
        ),
        replace(later, competency_id=6, baseline_hidden=True, follow_up_hidden=True),
        replace(base, competency_id=7, baseline_hidden=True, baseline_report_id=None),
        CompetencyGrowth(competency_id=8, name="Nothing yet", observations=1, goals=2),
        replace(base, competency_id=9, follow_up_on=dt.date(2026, 7, 1), follow_up_hidden=True),
    ]


@pytest.mark.parametrize("learner_view", [True, False])
@pytest.mark.parametrize("count", [0, 1, 9])
def test_the_rows_and_cards_are_what_the_template_wrote(learner_view, count):
    competencies = [_with_words(c, learner_view) for c in _competencies()[:count]]
    picture = GrowthPicture(
        person="Cora <Doe>",
        learner_view=learner_view,
        competencies=competencies,
        computed_at=None,
        engagement_id=7,
    )
    context = Context({"picture": picture, "org": {"slug": "acme"}})
    assert rows.chart_rows(picture) == Template("{% load i18n %}" + _WORDS + _ROWS).render(context)
    assert rows.competency_cards(picture, "acme") == Template(
        "{% load i18n %}" + _WORDS + _CARDS
    ).render(context)


def test_every_shape_is_covered():
    """The shapes above reach each branch the template had."""
    picture = GrowthPicture("x", True, [_with_words(c, True) for c in _competencies()], None)
    cards, table = rows.competency_cards(picture, "acme"), rows.chart_rows(picture)
    for text in (
        "follow-up hidden",
        "new baseline hidden",
        "baseline hidden: too few",
        "strong quiz evidence",
        "too few answers to tell",
        "goals achieved",
        "goal achieved",
        "New baseline report",
        "latest 2 Dec 2026",
        "none yet",
        "no practice answers yet",
        "none on this competency",
        "&lt;thinking&gt;",
    ):
        assert text in cards, text
    for text in ("RCI 2.35", "vs 2.50 at the baseline", "(n=1234)", 'data-label="New baseline"'):
        assert text in table, text
