"""The coach's roster rows written in Python (coaching/tables.py): the same HTML as the template
loop they replaced, in every language shape (names and labels to escape, not counted, not
started, overdue); and a page of the roster read by its SQL texts (the first page's own, a
later page's): the rows the ORM read gives, whatever the view."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from coaching import queries, tables
from coaching.queries import COACHEES_PER_PAGE, Coachee
from measurement.services import do_rollup_progress
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from tests.coaching.test_coach_home import _bulk_coachees, _coach_with_cohort
from tests.conftest import count_queries, make_member

# The roster's rows of templates/coaching/coach_home.html as its loop wrote them.
_TEMPLATE_ROWS = (
    "{% load i18n %}"
    "{% for c in coachees %}<tr>\n"
    '      <th scope="row">{{ c.name }}</th><td>{{ c.team|default:"—" }}</td>'
    "<td>{{ c.pathway }}</td><td>{{ c.cohort }}</td>\n"
    '      <td>{% if c.percent is None %}<span class="muted">{% translate "not counted yet" %}'
    '</span>{% elif c.not_started %}<span class="badge badge--locked">'
    '{% translate "Not started" %}</span>{% else %}<progress class="progress progress--small" '
    'max="100" value="{{ c.percent }}" aria-label="{{ c.progress_aria }}"></progress>\n'
    '        <span class="progress-label">{{ c.progress_label }}</span>{% endif %}</td>\n'
    '      <td>{% if c.steps_overdue %}<span class="badge badge--overdue">{{ c.overdue_label }}'
    "</span>{% else %}—{% endif %}</td>\n"
    '      <td><span class="badge badge--info">{{ c.status }}</span></td></tr>{% endfor %}'
)


def _coachees() -> list[Coachee]:
    names = ["Leo Martins", "O'Brien & <Sons>", 'cora "both"', "Zoë Ünal", ""]
    figures = [
        (None, None, 0),  # not counted yet
        (0, 4, 0),  # not started
        (0, 4, 3),  # not started, overdue
        (2, 4, 1),
        (1, 3, 2),  # a percent that rounds
        (4, 4, 0),
        (2, 0, 0),  # no required steps: not counted
    ]
    return [
        Coachee(
            enrollment_id=i,
            learner_id=100 + i,
            name=names[i % len(names)],
            email=f"c{i}@example.test",
            team=["", "Sales & <Ops>", "R&D"][i % 3],
            pathway=["Leading <Change>", "Coach's path"][i % 2],
            cohort=['Spring "A"', "Autumn & B"][i % 2],
            status=["Active", "Completed", "<b>"][i % 3],
            steps_done=done,
            steps_total=total,
            steps_overdue=overdue,
        )
        for i, (done, total, overdue) in enumerate(figures * 2)
    ]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_roster_rows_are_what_the_template_wrote(language):
    coachees = _coachees()
    with translation.override(language):
        expected = Template(_TEMPLATE_ROWS).render(Context({"coachees": coachees}))
        written = "".join(tables.roster_rows(coachees))
    assert written == expected
    assert written.count("<tr>") == len(coachees) and "&lt;Sons&gt;" in written


@pytest.mark.parametrize("view", queries.ROSTER_VIEWS)
def test_a_roster_page_read_as_sql_is_the_orm_reads_page(client, org_a, org_b, view):
    """The pages of ``_ROSTER_PAGE_TEXTS`` (the first page's text, a later page's) against the
    ORM read a search takes, on the same enrolments: the same rows in the same order, never
    another organisation's."""
    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, 2 * COACHEES_PER_PAGE + 7)
    with tenant_context(org_a):
        fixture.steps[0].due_offset_days = 10  # fell due last week: overdue unless done
        fixture.steps[0].save()
        StepCompletion.objects.bulk_create(
            StepCompletion(
                organization=org_a,
                enrollment=e,
                learner_id=e.learner_id,
                step_key=fixture.steps[0].key,
            )
            for e in Enrollment.objects.order_by("id")[::3]
        )
        do_rollup_progress(org_a)
    late = [make_member(org_a, f"late{i}@{org_a.slug}.example", is_learner=True) for i in range(3)]
    with tenant_context(org_a):  # enrolled since the roll-up: not counted yet
        Enrollment.objects.bulk_create(
            Enrollment(
                organization=org_a, cohort=fixture.cohort, learner=m, version=fixture.version
            )
            for m in late
        )
    other, other_fixture = _coach_with_cohort(org_b)
    _bulk_coachees(org_b, other, other_fixture, 0, COACHEES_PER_PAGE)
    with tenant_context(org_a):
        summary = queries.roster_summary(coach)
        count = summary.count_of(view)
        for number in (1, 2, 3):
            by_sql = queries.roster_page(coach, summary.period, view, "", number, summary)
            by_orm = queries.roster_page(coach, summary.period, view, "", number)
            assert by_orm.paginator.count == count
            assert count > 0
            assert list(by_sql.object_list) == list(by_orm.object_list)
            assert all(c.email.endswith(f"@{org_a.slug}.example") for c in by_sql.object_list)
        # The first page read in the summary's statement (as the home reads it: the latest
        # period read there too, or the one given), and the view's first page when another
        # view's was read with it.
        first = queries.roster_page(coach, summary.period, view, "", 1)
        assert len(first.object_list) == min(count, COACHEES_PER_PAGE)
        for period in ({}, {"period": summary.period}):
            together = queries.roster_summary(coach, first_page=view, **period)
            assert together == summary and together.first_page is not None
            assert together.first_page[1] == list(first.object_list)
            with count_queries() as ctx:
                page = queries.roster_page(coach, summary.period, view, "", 1, together)
                assert list(page.object_list) == list(first.object_list)
            assert not ctx.captured_queries
            other_view = next(v for v in queries.ROSTER_VIEWS if v != view)
            other = queries.roster_summary(coach, first_page=other_view, **period)
            page = queries.roster_page(coach, summary.period, view, "", 1, other)
            assert list(page.object_list) == list(first.object_list)
