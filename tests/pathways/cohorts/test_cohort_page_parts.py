"""The cohort page's header and forms, put together in Python with the page's words and dates
looked up once, write exactly what they wrote through Django's translation, date formatting,
forms and widgets (``page_before``): for each shape of the page (no staff and several, names
to escape, a reminder sent, on its way or none, a cohort with no roll-up yet, a last year's
date)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from pathways.cohorts import views
from pathways.cohorts.forms import AddLearnerForm
from pathways.cohorts.queries import CohortOverview, ReminderSent, StaffMember
from pathways.models import Cohort
from tests.pathways.cohorts.page_before import forms_before, header_before, staff_forms_before

CSRF = '<input type="hidden" name="csrfmiddlewaretoken" value="t0k&n">'
NASTY = "<b>&\"'"


def _overview(cohort: Cohort, **figures: object) -> CohortOverview:
    values: dict[str, object] = {
        "pathway": "Leading teams",
        "version": 3,
        "coaches": [],
        "sponsors": [],
        "enrolments": 12,
        "active": 10,
        "withdrawn": 2,
        "counted": 8,
        "not_started": 3,
        "overdue_steps": 7,
        "learners_overdue": 4,
        "steps_done": 21,
        "steps_possible": 80,
        "as_of": None,
    }
    values.update(figures)
    return CohortOverview(cohort=cohort, **values)  # type: ignore[arg-type]


def _cohorts() -> list[Cohort]:
    return [
        Cohort(pk=7, name="Spring leaders", start_date=dt.date(2026, 3, 2), status="running"),
        Cohort(
            pk=8,
            name=NASTY,
            start_date=dt.date(2025, 12, 1),
            end_date=dt.date(2027, 1, 31),
            status="planned",
        ),
    ]


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/New_York"])
def test_the_header_writes_what_it_wrote_for_every_shape(zone):
    now = timezone.now()
    moments = [
        None,
        now - dt.timedelta(seconds=5),
        now - dt.timedelta(minutes=20),
        now - dt.timedelta(hours=3),
        now - dt.timedelta(days=2, hours=5),
        now - dt.timedelta(days=400),
    ]
    reminders = [
        None,
        ReminderSent(local_date=now.date(), learners=1, sent_at=None),
        ReminderSent(local_date=now.date(), learners=3, sent_at=None),
        ReminderSent(local_date=now.date(), learners=1, sent_at=now - dt.timedelta(hours=2)),
        ReminderSent(local_date=now.date(), learners=5, sent_at=now - dt.timedelta(days=40)),
        ReminderSent(local_date=now.date(), learners=2, sent_at=now - dt.timedelta(days=500)),
    ]
    figures = [
        {},
        {"withdrawn": 0, "learners_overdue": 0, "overdue_steps": 0},
        {"withdrawn": 1, "learners_overdue": 1, "active": 1, "counted": 0, "steps_possible": 0},
        {"pathway": NASTY, "counted": 9, "active": 10},
    ]
    shapes = 0
    with timezone.override(zone):
        for cohort, as_of, reminder, figure in itertools.product(
            _cohorts(), moments, reminders, figures
        ):
            detail = _overview(cohort, as_of=as_of, **figure)
            expected = header_before("acme", detail, reminder, CSRF)
            assert views._header("acme", detail, reminder, CSRF) == expected
            shapes += 1
    assert shapes == 2 * 6 * 6 * 4


def _people(n: int, start: int = 1) -> list[StaffMember]:
    names = [NASTY, "Ann Ådams", "Bo"]
    return [
        StaffMember(membership_id=start + i, name=names[i % 3], email=f"p{i}@x.example&")
        for i in range(n)
    ]


@pytest.mark.parametrize(("coaches", "sponsors"), [(0, 0), (1, 0), (3, 2), (2, 4)])
def test_the_forms_write_what_the_django_forms_wrote(coaches, sponsors):
    assigned = _people(coaches), _people(sponsors, start=50)
    forms = staff_forms_before("acme", 7)
    expected = forms_before(
        "acme",
        7,
        CSRF,
        AddLearnerForm(),
        [("coach", assigned[0], forms["coach"]), ("sponsor", assigned[1], forms["sponsor"])],
    )
    drawn = views._forms("acme", 7, CSRF, [("coach", assigned[0]), ("sponsor", assigned[1])])
    assert drawn == expected
    assert 'hx-get="/o/acme/cohorts/7/staff/coach/people/"' in drawn
    assert '<datalist id="sponsor-people"></datalist>' in drawn
    assert "&lt;b&gt;&amp;&quot;&#x27;" in drawn or not (coaches or sponsors)


@pytest.mark.parametrize("query", ["show=all", "show=overdue&q=%3Cb%3E%26%22%27", ""])
@pytest.mark.parametrize("count", [0, 1, 50, 51, 120, 5001])
def test_the_learners_pages_and_downloads_write_what_the_list_parts_wrote(query, count):
    from django.core.paginator import Paginator

    from organizations.templatetags.list_parts import pagination_html, table_downloads_html

    paginator = Paginator(range(count), 50)
    for number in paginator.page_range:
        page = paginator.page(number)
        assert views._pages_html(page, query) == pagination_html(page, query, "cohort-learners")
    for what in ["the learners in this view with their progress", NASTY]:
        assert views._downloads_html(query, what) == table_downloads_html(query, what)
