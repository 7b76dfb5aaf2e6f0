"""The team dashboard's tables written in Python (measurement/team_page.py): the same HTML as
the template loops they replaced, over months and metrics of every shape (none, hidden,
shown; a metric with no shown month, one month, a change either way)."""

from __future__ import annotations

import datetime as dt

from django.template import Context, Template

from measurement import team_page
from measurement.queries import ManagedTeam, TeamCell, TeamMetricSeries

# The loops of templates/measurement/team_dashboard.html as they were.
_PROGRAMME = (
    '{% load i18n %}{% for row in team.programme_rows %}<tr><th scope="row">{{ row.month|date:"M Y" }}</th>\n'
    '        <td class="num">{% with c=row.completion %}{% if not c %}–{% elif c.hidden %}{% translate "hidden" %}{% else %}{% widthratio c.value 1 100 %}% <span class="muted">({% blocktranslate with n=c.base %}{{ n }} learners{% endblocktranslate %})</span>{% endif %}{% endwith %}</td>\n'
    '        <td class="num">{% with c=row.milestones %}{% if not c %}–{% elif c.hidden %}{% translate "hidden" %}{% else %}{{ c.part }} / {{ c.base }}{% endif %}{% endwith %}</td>\n'
    '        <td class="num">{% with c=row.satisfaction %}{% if not c %}–{% elif c.hidden %}{% translate "hidden" %}{% else %}{{ c.value|floatformat:2 }} <span class="muted">({% blocktranslate with n=c.base %}{{ n }} ratings{% endblocktranslate %})</span>{% endif %}{% endwith %}</td>\n'
    '        <td class="num">{% with c=row.attendance %}{% if not c %}–{% elif c.hidden %}{% translate "hidden" %}{% else %}{{ c.part }} / {{ c.base }}{% endif %}{% endwith %}</td>\n'
    "      </tr>{% endfor %}"
)
_METRICS = '{% load i18n %}{% for m in team.metrics %}<tr><th scope="row">{{ m.name }}</th>{% if m.latest %}<td class="num">{{ m.latest.1|floatformat:1 }} {{ m.unit }}</td><td>{{ m.latest.0|date:"M Y" }}</td>{% else %}<td class="num">{% translate "hidden" %}</td><td></td>{% endif %}<td class="num">{% if m.change is not None %}{{ m.change|floatformat:1 }} {{ m.change_unit }} {% if m.higher_is_better %}<span class="muted">({% translate "higher is better" %})</span>{% else %}<span class="muted">({% translate "lower is better" %})</span>{% endif %}{% else %}–{% endif %}</td></tr>{% endfor %}'

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


def shown(period: dt.date, value: float, base: int = 12, part: int = 7) -> TeamCell:
    return TeamCell(period, value, base, part, 9)


def hidden(period: dt.date) -> TeamCell:
    return TeamCell(period, None, None, None, None)


def team(**parts: object) -> ManagedTeam:
    values: dict[str, object] = {
        "completion": [],
        "milestones": [],
        "satisfaction": [],
        "attendance": [],
        "metrics": [],
    }
    values.update(parts)
    return ManagedTeam(id=1, name="Ops <A&B>", people=9, shown=True, months=[], **values)  # type: ignore[arg-type]


TEAMS = [
    team(),
    team(
        completion=[shown(JAN, 0.125), hidden(FEB), shown(MAR, 0.995, base=1234)],
        milestones=[shown(FEB, 0.5, base=4, part=2), hidden(APR)],
        satisfaction=[shown(JAN, 4.256, base=6), shown(APR, 3.0)],
        attendance=[hidden(JAN), shown(MAR, 0.8, base=20, part=16)],
        metrics=[
            TeamMetricSeries(1, "Churn & <risk>", "%", False, [shown(JAN, 12.25), shown(APR, 9.5)]),
            TeamMetricSeries(2, "Revenue", "k€ <net>", True, [hidden(JAN), shown(FEB, 1500.04)]),
            TeamMetricSeries(3, "Quiet", "days", True, [hidden(JAN), hidden(FEB)]),
            TeamMetricSeries(4, "Flat", "h", True, [shown(JAN, 2.0), shown(MAR, 2.0)]),
            TeamMetricSeries(5, "Up", "h", False, [shown(JAN, -1.06), shown(MAR, 2.44)]),
        ],
    ),
]


def test_the_programme_rows_are_the_templates(org_a, org_b):
    for t in TEAMS:
        expected = Template(_PROGRAMME).render(Context({"team": t}))
        assert str(team_page.programme_rows(t)) == expected


def test_the_metric_rows_are_the_templates(org_a, org_b):
    for t in TEAMS:
        expected = Template(_METRICS).render(Context({"team": t}))
        assert str(team_page.metric_rows(t)) == expected
    assert "hidden" in str(team_page.metric_rows(TEAMS[1]))
    assert "&lt;risk&gt;" in str(team_page.metric_rows(TEAMS[1]))
