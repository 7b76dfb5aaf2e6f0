"""The coach's home: the learners of the cohorts they coach, with progress from the roll-up, and
who to talk to first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from coaching import queries, services
from coaching.models import CoachingEngagement, CoachingSession
from coaching.queries import COACHEES_PER_PAGE
from measurement.models import LearnerProgressRollup
from measurement.services import do_rollup_progress
from organizations.models import Membership, User
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach, Enrollment, StepCompletion
from tests.coaching.helpers import build_world, held_session, plan
from tests.conftest import count_queries, enroll, make_member, make_pathway


def _cohort_with_learners(org, coach, n, prefix):
    """``n`` learners; the first finished two steps, the rest none; step 1 fell due last week."""
    fixture = make_pathway(org, start=timezone.localdate() - dt.timedelta(days=20))
    with tenant_context(org):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
        fixture.steps[0].due_offset_days = 10
        fixture.steps[0].save()
    learners = []
    for i in range(n):
        member = make_member(org, f"{prefix}{i}@{org.slug}.example", is_learner=True)
        enrollment = enroll(org, fixture, member)
        if i == 0:
            with tenant_context(org):
                for step in fixture.steps[:2]:
                    StepCompletion.objects.create(
                        enrollment=enrollment, learner=member, step_key=step.key
                    )
        learners.append(member)
    with tenant_context(org):
        do_rollup_progress(org)
    return fixture, learners


def test_it_lists_coachees_with_progress_and_who_needs_attention(client, org_a, org_b):
    coach = make_member(org_a, "cora@a.example", is_coach=True)
    _cohort_with_learners(org_a, coach, 3, "l")
    client.force_login(coach.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "50% · 2 of 4 required steps" in page
    assert "Talk to these coachees first" in page
    assert page.count("1 step overdue") == 2  # the two who have not done the step due last week
    assert "with overdue steps" in page and "not started" in page


def test_it_shows_nothing_of_cohorts_the_coach_does_not_coach(client, org_a, org_b):
    coach = make_member(org_a, "cora@a.example", is_coach=True)
    other = make_member(org_a, "otto@a.example", is_coach=True)
    _cohort_with_learners(org_a, other, 2, "coachee")
    client.force_login(coach.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "No coachees yet" in page and "Coachee0" not in page


def test_it_gives_404_to_another_organisations_coach(client, org_a, org_b):
    coach_a = make_member(org_a, "cora@a.example", is_coach=True)
    _cohort_with_learners(org_a, coach_a, 2, "coachee")
    coach_b = make_member(org_b, "bea@b.example", is_coach=True)
    client.force_login(coach_b.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 404
    assert "Coachee0" not in client.get(f"/o/{org_b.slug}/").content.decode()


def _queries(client, org, n):
    coach = make_member(org, f"coach{n}@{org.slug}.example", is_coach=True)
    _cohort_with_learners(org, coach, n, f"q{n}-")
    client.force_login(coach.user)
    url = f"/o/{org.slug}/"
    client.get(url)
    with count_queries() as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_it_reads_the_roster_in_constant_queries(client, org_a, org_b):
    assert _queries(client, org_a, 3) == _queries(client, org_b, 30)


def _bulk_coachees(org, coach, fixture, start, stop):
    """Coachees ``c{start}`` … ``c{stop - 1}`` in the coach's cohort, each with an active
    engagement and no session held yet (bulk inserts)."""
    emails = [f"c{i:04d}@{org.slug}.example" for i in range(start, stop)]
    User.objects.bulk_create(
        [User(email=e, full_name=f"Coachee {e[1:5]}", password="!") for e in emails]
    )
    with tenant_context(org):
        Membership.objects.bulk_create(
            [
                Membership(organization=org, user=u, is_learner=True)
                for u in User.objects.filter(email__in=emails)
            ]
        )
        members = list(Membership.objects.filter(user__email__in=emails))
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    organization=org, cohort=fixture.cohort, learner=m, version=fixture.version
                )
                for m in members
            ]
        )
        today = timezone.localdate()
        CoachingEngagement.objects.bulk_create(
            [
                CoachingEngagement(
                    organization=org,
                    coach=coach,
                    coachee=m,
                    cohort=fixture.cohort,
                    starts_on=today,
                    ends_on=today + dt.timedelta(days=90),
                )
                for m in members
            ]
        )
        do_rollup_progress(org)


def _coach_with_cohort(org):
    coach = make_member(org, f"coach@{org.slug}.example", is_coach=True)
    fixture = make_pathway(org, start=timezone.localdate() - dt.timedelta(days=20))
    with tenant_context(org):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
    return coach, fixture


def test_the_home_keeps_its_queries_and_size_with_5_and_220_coachees(client, org_a, org_b):
    coach, fixture = _coach_with_cohort(org_a)
    client.force_login(coach.user)
    counts, sizes = [], []
    for start, stop in ((0, 5), (5, 220)):
        _bulk_coachees(org_a, coach, fixture, start, stop)
        for query in ("", "?show=not_started&page=2", "?q=coachee"):
            with count_queries() as ctx:
                response = client.get(f"/o/{org_a.slug}/coaching/{query}")
            assert response.status_code == 200
            counts.append(len(ctx.app_queries))
            sizes.append(len(response.content))
    assert counts[:3] == counts[3:]
    # A page of the roster and the first few who need attention: the same bound whatever the
    # number of coachees.
    assert max(sizes) < 60_000
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "220 coachees need attention" in page
    assert "and 215 more in the table below" in page
    assert page.count("<tr>") == 1 + COACHEES_PER_PAGE  # header row and one page


def test_the_roster_pages_and_searches_in_the_database(client, org_a, org_b):
    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, COACHEES_PER_PAGE + 3)
    client.force_login(coach.user)
    url = f"/o/{org_a.slug}/coaching/"
    second = client.get(url, {"show": "all", "page": 2}).content.decode()
    assert second.count("<tr>") == 1 + 3 and f"Coachee {COACHEES_PER_PAGE:04d}" in second
    found = client.get(url, {"q": "c0004"}).content.decode()
    assert "1 enrolment matches “c0004”" in found and "Coachee 0004" in found
    partial = client.get(url, {"q": "c0004"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="roster"') and "<html" not in partial
    download = client.get(url, {"format": "csv"})
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert body.decode("utf-8-sig").count("@acme-t.example") == COACHEES_PER_PAGE + 3


def test_another_organisations_coach_gets_404_on_every_view_of_the_roster(client, org_a, org_b):
    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, 3)
    coach_b = make_member(org_b, "bea@b.example", is_coach=True)
    client.force_login(coach_b.user)
    for query in ("?q=c0001", "?show=overdue&page=2", "?format=csv"):
        assert client.get(f"/o/{org_a.slug}/coaching/{query}").status_code == 404
        own = client.get(f"/o/{org_b.slug}/coaching/{query}", HTTP_HX_REQUEST="true")
        assert own.status_code == 200 and b"Coachee 0001" not in own.content


def test_the_home_reads_in_four_queries_whatever_the_number_of_coachees(client, org_a, org_b):
    """Was 22 (the roster's figures counted table by table, the attention and roster rows each
    read in two or three steps, the latest period read twice), then 10 (11 with participants),
    then 9, then 7, then 6, then 5. Now, besides the 3 every signed-in page pays (session and user,
    organisation, membership): one statement that counts everything, reads the latest period,
    counts the other organisations the coach works in and joins the first coachees to talk
    to, and also reads the sessions today, this week and to log with their participants and
    the coach's engagements with their coachees' reasons for attention (reads sent together
    with ``fetch_row_sets``), and the roster's first page with its roll-up figures. The other
    organisations' names are read only when there are some (one more query). (The first
    coachees to talk to and the page read as one ``UNION ALL`` took the database longer to
    plan than the two apart.)"""
    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, COACHEES_PER_PAGE + 5)
    client.force_login(coach.user)
    url = f"/o/{org_a.slug}/coaching/"
    client.get(url)
    with count_queries() as ctx:
        page = client.get(url)
    assert page.status_code == 200
    assert len(ctx.app_queries) == 4, [q["sql"][:80] for q in ctx.app_queries]
    assert "Talk to these coachees first" in page.content.decode()
    assert page.content.decode().count('<th scope="row">') >= COACHEES_PER_PAGE
    # A later page reads its rows apart: one query more.
    with count_queries() as ctx:
        assert "Coachee" in client.get(url, {"page": 2}).content.decode()
    assert len(ctx.app_queries) == 5, [q["sql"][:80] for q in ctx.app_queries]
    # A coach who also coaches elsewhere: their names, one query more.
    make_member(org_b, coach.user.email, is_coach=True)
    with count_queries() as ctx:
        page = client.get(url)
    assert "You also coach in:" in page.content.decode() and org_b.name in page.content.decode()
    assert len(ctx.app_queries) == 5, [q["sql"][:80] for q in ctx.app_queries]
    # A roster view the summary already counted costs no count of its own, and its first page
    # rides on the summary's statement; a search reads its count with its page.
    with count_queries() as ctx:
        assert client.get(url, {"show": "not_started"}, HTTP_HX_REQUEST="true").status_code == 200
    partial = len(ctx.app_queries)
    with count_queries() as ctx:
        assert client.get(url, {"q": "c00"}, HTTP_HX_REQUEST="true").status_code == 200
    assert len(ctx.app_queries) == partial + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's statements")
def test_the_homes_one_statement_is_compact_with_few_parameters(client, org_a, org_b):
    """The home's one statement (the counts with the sessions' and engagements' reads, as
    ``fetch_row_sets`` sends it) has few enough parameters for psycopg to keep its conversion
    (each repeated value read from a row where the row has it, the lists' sizes written in),
    and is sent compact (its white space single spaces)."""
    from psycopg import _queries

    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, 3)
    client.force_login(coach.user)
    sent = []

    def keep(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert client.get(f"/o/{org_a.slug}/coaching/").status_code == 200
    [(sql, params)] = [(sql, params) for sql, params in sent if " FULL JOIN " in sql]
    assert sql.count("%s") == len(params) <= _queries.MAX_CACHED_STATEMENT_PARAMS, len(params)
    assert "\n" not in sql and "  " not in sql


def test_the_home_reads_the_same_sent_with_the_counts_or_apart(org_a):
    """The sessions and engagements read in the counts' statement (``home_reads``, as the
    page reads them) give the home what their own statement gives (and the counts are the
    same): sessions today, this week and to log with their participants, engagements that need
    attention in their order."""
    w = build_world(org_a, "apart", n_learners=4)
    held_session(w, days_ago=2)
    with tenant_context(org_a):
        for starts_in, engagement in ((dt.timedelta(hours=1), 1), (dt.timedelta(days=3), 2)):
            services.do_schedule_session(
                w.coach, plan(starts_in, title=f"Talk <b>{engagement}"),
                engagement=w.engagements[engagement],
            )  # fmt: skip
        services.do_schedule_session(
            w.coach,
            plan(dt.timedelta(days=2), title="Group"),
            cohort=w.engagements[0].cohort,
            participants=w.learners,
            capacity=len(w.learners),
        )
        late = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=30), title="Not logged"), engagement=w.engagements[3]
        )
        CoachingSession.objects.filter(pk=late.pk).update(
            starts_at=timezone.now() - dt.timedelta(days=1)
        )
        do_rollup_progress(org_a)
    with tenant_context(org_a, user_id=w.coach.user_id):
        now = timezone.now()
        together = queries.roster_summary(
            w.coach, home_counts=True, now=now, home_reads=queries.home_reads(w.coach, now)
        )
        assert together.home_rows is not None
        assert together == queries.roster_summary(w.coach, home_counts=True, now=now)
        home = queries.coach_home(w.coach, now, summary=together)
        assert home == queries.coach_home(w.coach, now)
    assert [s.title for s in home.today + home.this_week][-2:] == ["Group", "Talk <b>2"]
    assert [s.title for s in home.to_log] == ["Not logged"]
    assert len(home.today[0].participants if home.today else home.this_week[0].participants) == 1
    assert home.attention and home.attention_count == len(home.attention)


def test_a_session_begun_today_is_in_both_lists_once(org_a):
    """A session of today already begun and not logged is in today's list and in the list to
    log, each once with its one participant: the two lists' ids are one set, read once."""
    w = build_world(org_a, "begun", n_learners=1)
    with tenant_context(org_a):
        begun = services.do_schedule_session(
            w.coach, plan(dt.timedelta(days=1), title="Begun"), engagement=w.engagements[0]
        )
        now = timezone.now()
        day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        CoachingSession.objects.filter(pk=begun.pk).update(starts_at=now - (now - day_start) / 2)
    with tenant_context(org_a, user_id=w.coach.user_id):
        home = queries.coach_home(w.coach, now)
    assert [(s.title, len(s.participants)) for s in home.today] == [("Begun", 1)]
    assert [(s.title, len(s.participants)) for s in home.to_log] == [("Begun", 1)]
    assert home.to_log_count == 1


@pytest.mark.parametrize("view", ["all", "overdue", "not_started", "not_counted"])
def test_a_searched_roster_page_is_what_the_orm_finds(org_a, view):
    """The search's one statement finds the enrolments Django's ``icontains`` finds, in the
    same order and number, wildcards and markup in names taken as text, page by page."""
    coach, fixture = _coach_with_cohort(org_a)
    _bulk_coachees(org_a, coach, fixture, 0, COACHEES_PER_PAGE + 7)
    odd = [("Zoë <b>&\"'", "zoe"), ("Pct 100% off", "pct"), ("under_score", "us")]
    for name, local in odd:
        member = make_member(org_a, f"{local}@{org_a.slug}.example", is_learner=True)
        User.objects.filter(pk=member.user_id).update(full_name=name)
        enroll(org_a, fixture, member)
    with tenant_context(org_a):
        first = Enrollment.objects.filter(cohort=fixture.cohort).order_by("id").first()
        StepCompletion.objects.create(
            enrollment=first, learner=first.learner, step_key=fixture.steps[0].key
        )
        do_rollup_progress(org_a)
        period = LearnerProgressRollup.objects.order_by("-period").values("period")[0]["period"]
        in_view = {
            "overdue": Q(steps_overdue__gt=0),
            "not_started": Q(steps_done=0),
        }
        rollups = LearnerProgressRollup.objects.filter(period=period, cohort=fixture.cohort)
        for q in ("coachee 00", "C001", "%", "_", "<b>", "&\"'", "ZOË", "nobody", ""):
            wanted = Enrollment.objects.filter(cohort=fixture.cohort).exclude(
                status=Enrollment.Status.WITHDRAWN
            )
            if view == "not_counted":
                wanted = wanted.exclude(pk__in=rollups.values("enrollment_id"))
            elif view != "all":
                wanted = wanted.filter(pk__in=rollups.filter(in_view[view]).values("enrollment_id"))
            if q:
                wanted = wanted.filter(
                    Q(learner__user__full_name__icontains=q) | Q(learner__user__email__icontains=q)
                )
            ids = list(
                wanted.order_by(
                    "learner__user__full_name", "learner__user__email", "id"
                ).values_list("id", flat=True)
            )
            for number in (1, 2, 99, "x"):
                page = queries.roster_page(coach, period, view, q, number)
                expected = Paginator(ids, COACHEES_PER_PAGE).get_page(number)
                assert page.paginator.count == len(ids), (q, number)
                assert page.number == expected.number
                assert [c.enrollment_id for c in page.object_list] == list(expected), (q, number)
        summary = queries.roster_summary(coach, period)
        searched = queries.roster_page(coach, period, view, "coachee", 1)
        counted = queries.roster_page(coach, period, view, "", 1, summary)
        assert searched.object_list == counted.object_list[: len(searched.object_list)]
