"""The home's pathway card body written in Python (pathways.learning.queries._card_body): the
same HTML as the template lines it replaced, for cards of every shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from pathways import queries
from pathways.learning.queries import with_card_text

# The card body of templates/pathways/learner_home.html#enrollment-card as its template wrote it.
_TEMPLATE_CARD = (
    "{% load i18n %}"
    '  <div class="split">\n'
    '    <h2 class="card__title">{{ enrollment.pathway }}</h2>\n'
    '    <span class="badge {% if enrollment.completed %}badge--done{% else %}badge--info'
    '{% endif %}">{% if enrollment.completed %}{% translate "Completed" %}{% else %}'
    "{{ enrollment.cohort }}{% endif %}</span>\n"
    "  </div>\n"
    '  <progress class="progress" max="{{ enrollment.steps_total }}" '
    'value="{{ enrollment.steps_done }}" aria-label="{% translate \'Progress\' %}"></progress>\n'
    '  <p class="progress-label">{% blocktranslate with done=enrollment.steps_done '
    "total=enrollment.steps_total percent=enrollment.percent %}{{ done }} of {{ total }} steps "
    "done ({{ percent }}%){% endblocktranslate %}</p>\n"
    '  {% if enrollment.needs_diagnostic %}<p><a href="{{ enrollment.diagnostic_url }}">'
    '{% translate "Rate yourself to tailor this pathway" %}</a></p>{% endif %}\n'
    '  {% if enrollment.elective_groups %}<p><a href="{{ enrollment.electives_url }}">'
    '{% if enrollment.pending_electives %}{% translate "Choose your electives" %}{% else %}'
    '{% translate "Review your electives" %}{% endif %}</a></p>{% endif %}\n'
    "  {% for stage in enrollment.stages %}\n"
    '    <h3 class="stage">{{ stage.title|default:_("Steps") }} <span class="muted">'
    "{{ stage.progress_label }}</span>{% if stage.finished %} "
    '<span class="badge badge--done">{% translate "Finished" %}</span>{% endif %}</h3>\n'
    '    <ol class="steps">\n'
    "      {% for step in stage.steps %}\n"
    "      {{ step.row_html }}\n"
    "      {% endfor %}\n"
    "    </ol>\n"
    "  {% endfor %}\n"
)

TODAY = dt.date(2026, 11, 2)


def _step(pk: int, state: str, **extra: object) -> queries.StepView:
    values: dict[str, object] = {
        "id": pk,
        "key": f"key-{pk}",
        "title": f'Step <{pk}> & "{pk}"',
        "kind": "module",
        "kind_label": "Module",
        "minutes": 10,
        "state": state,
        "reason": "",
        "stage": "",
        "opens_on": None,
    }
    values.update(extra)
    return queries.StepView(**values)  # type: ignore[arg-type]


def _group(pending: bool) -> queries.ElectiveGroupView:
    options = [
        queries.ElectiveOption(
            key="a", step_id=9, title="A", chosen=not pending, done=False, skipped=False
        )
    ]
    return queries.ElectiveGroupView(id=1, title="Pick", choose=1, options=options)


def _enrollments() -> list[queries.EnrollmentView]:
    finished = queries.StageView(
        title="Foundations & <basics>",
        steps=[_step(1, queries.DONE), _step(2, queries.SKIPPED)],
        id=1,
        required=1,
    )
    open_stage = queries.StageView(
        title="",
        steps=[
            _step(3, queries.AVAILABLE, due_on=TODAY - dt.timedelta(days=2), overdue=True),
            _step(4, queries.AVAILABLE, kind="project", kind_label="Project"),
            _step(5, queries.LOCKED, due_on=TODAY + dt.timedelta(days=3)),
            _step(6, queries.CHOOSE, elective_group_id=1),
            _step(7, queries.NOT_CHOSEN, minutes=None),
        ],
        id=2,
        required=3,
    )
    empty_stage = queries.StageView(title="Later", steps=[], id=3)
    shapes = []
    for pk, (completed, diagnostic, groups, stages) in enumerate(
        [
            (False, False, [], [finished, open_stage]),
            (True, False, [], [finished]),
            (False, True, [_group(pending=True)], [open_stage, empty_stage]),
            (False, False, [_group(pending=False)], []),
        ],
        start=11,
    ):
        shapes.append(
            queries.EnrollmentView(
                id=pk,
                pathway=f'Leading <people> & "teams" {pk}',
                cohort="Cohort <A> & 'B'",
                stages=stages,
                steps_total=7 if stages else 0,
                steps_done=1,
                next_step=None,
                completed=completed,
                elective_groups=groups,
                needs_diagnostic=diagnostic,
            )
        )
    return shapes


@pytest.mark.parametrize("index", range(4))
def test_the_card_body_is_the_templates(index):
    [enrollment] = with_card_text("acme", [_enrollments()[index]])
    expected = Template(_TEMPLATE_CARD).render(Context({"enrollment": enrollment}))
    assert "  " + enrollment.card_html + "\n" == expected


def test_the_shapes_cover_every_branch():
    html = "".join(e.card_html for e in with_card_text("acme", _enrollments()))
    for part in (
        'badge--done">Completed',
        "Cohort &lt;A&gt; &amp; &#x27;B&#x27;",
        "Rate yourself to tailor this pathway",
        "Choose your electives",
        "Review your electives",
        '<h3 class="stage">Steps ',
        '<span class="badge badge--done">Finished</span>',
        "Foundations &amp; &lt;basics&gt;",
        "Open project",
    ):
        assert part in html
