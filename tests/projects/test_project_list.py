"""The lists of projects read as SQL text: for every role, filter and page the same rows and
figures as the models give (the export's reading), one statement a page, the cells of the page
as the template wrote them, and only the organisation's own projects."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.paginator import Paginator
from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from projects import queries
from projects.models import (
    BenefitClaim,
    Milestone,
    Project,
    ProjectLearner,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
    StatusUpdate,
)
from tests.conftest import count_queries, make_member
from tests.projects.helpers import make_world

TITLES = ["Fix <the> & 'handover'", "Cut WASTE_{i}", "100% on time {i}", "Plain {i}"]


def _varied_projects(world, n: int, seed: int = 7) -> dict[str, object]:
    """``n`` projects in every status, some without a sponsor or cohort, with co-learners,
    milestones on time, late, at risk and due soon, status updates on the same day, ratings
    above and below the threshold, and claims in every status (direct rows)."""
    rnd = random.Random(seed)
    today = timezone.localdate()
    co_learner = make_member(world.org, f"co.learner@{world.org.slug}.example", is_learner=True)
    odd = make_member(world.org, f"<odd>&@{world.org.slug}.example", is_sponsor=True)
    with tenant_context(world.org):
        odd.user.full_name = ""
        odd.user.save()
        statuses = [s for s, _label in Project.Status.choices]
        for i in range(n):
            p = Project.objects.create(
                owner=world.learner,
                sponsor=rnd.choice([world.sponsor, odd, None]),
                cohort=rnd.choice([world.cohort, world.cohort, None]),
                title=rnd.choice(TITLES).format(i=i),
                problem="p",
                scope="team",
                expected_outcomes="o",
                start_date=today - dt.timedelta(days=rnd.randint(0, 60)),
                end_date=today + dt.timedelta(days=rnd.choice([5, 10, 10, 30])),
                status=statuses[i % len(statuses)],
            )
            ProjectLearner.objects.create(project=p, learner=world.learner)
            if i % 3 == 0:
                ProjectLearner.objects.create(project=p, learner=co_learner)
            for k in range(rnd.randint(0, 5)):
                due = today + dt.timedelta(days=rnd.randint(-12, 12))
                approved = rnd.choice([None, due, due - dt.timedelta(days=rnd.randint(1, 5))])
                done = rnd.choice([None, None, due - dt.timedelta(days=1), due + dt.timedelta(3)])
                Milestone.objects.create(
                    project=p, title=f"m{k}", position=k, due_on=due, approved_on=approved,
                    done_on=done,
                )  # fmt: skip
            for _k in range(rnd.randint(0, 3)):
                StatusUpdate.objects.create(
                    project=p,
                    on=today - dt.timedelta(days=rnd.choice([0, 1, 1])),
                    rag=rnd.choice(["green", "amber", "red"]),
                    progress="p",
                )
            first = Milestone.objects.filter(project=p).first()
            for k in range(rnd.choice([0, 2, 3, 4])):
                person = Stakeholder.objects.create(project=p, name=f"S{k}", email=f"s{k}@x.test")
                for milestone in [None, first] if first and k % 2 else [None]:
                    request = RatingRequest.objects.create(
                        project=p, stakeholder=person, milestone=milestone
                    )
                    StakeholderRating.objects.create(
                        request=request,
                        project=p,
                        outcome_quality=rnd.randint(1, 5),
                        collaboration=rnd.randint(1, 5),
                        communication=rnd.randint(1, 5),
                    )
            for _k in range(rnd.randint(0, 3)):
                BenefitClaim.objects.create(
                    project=p,
                    claimant=world.learner,
                    measure="m",
                    annual_value=rnd.choice([Decimal("1000"), Decimal("2500.50")]),
                    basis="b",
                    isolation_pct=50,
                    confidence_pct=50,
                    status=rnd.choice([s for s, _label in BenefitClaim.Status.choices]),
                    adjusted_value=rnd.choice([None, Decimal("900"), Decimal("3000")]),
                )
    return {"co_learner": co_learner, "odd": odd}


def _orm_rows(projects, today):
    """The rows as the models say them (the export's reading of the same projects)."""
    return queries._rows(list(queries._ordered(queries._annotated(projects, today))))


def _all_pages(reader, role, filters=queries.ProjectFilters(), today=None):
    rows, number = [], 1
    while True:
        with count_queries() as ctx:
            listing = queries.project_list(reader, role, filters, number, today=today)
        assert len(ctx.app_queries) == 1
        rows += listing.rows
        if not listing.page.has_next():
            return rows, listing
        number += 1


def test_every_page_has_the_rows_and_figures_the_models_give(org_a, org_b):
    world = make_world(org_a)
    _varied_projects(world, 60)
    make_world(org_b)  # another organisation's projects stay out
    _varied_projects(make_world(org_b, prefix="b-"), 5, seed=3)
    today = timezone.localdate()
    with tenant_context(org_a):
        expected = _orm_rows(Project.objects.all(), today)
        rows, listing = _all_pages(world.admin, "admin", today=today)
        assert listing.total == 60 == len(expected) and listing.page.paginator.num_pages == 3
        assert rows == expected
        # The data covers what the list shows.
        assert any(r.late for r in rows) and any(r.at_risk for r in rows)
        assert any(r.due_soon for r in rows) and any(r.on_time for r in rows)
        assert any(r.satisfaction is not None for r in rows)
        assert any(r.satisfaction is None and r.satisfaction_n for r in rows)
        assert any(r.claims_pending for r in rows) and any(r.confirmed_value for r in rows)
        assert any(len(r.learners) == 2 for r in rows) and any(not r.sponsor for r in rows)


@pytest.mark.parametrize("role", ["admin", "sponsor", "coach", "learner"])
def test_each_role_sees_the_projects_it_may_see(org_a, org_b, role):
    world = make_world(org_a)
    extra = _varied_projects(world, 40)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
    today = timezone.localdate()
    readers = {
        "admin": [world.admin, world.learner],  # a learner acting as admin sees nothing
        "sponsor": [world.sponsor, extra["odd"], world.admin],
        "coach": [coach, world.sponsor],
        "learner": [world.learner, extra["co_learner"], world.sponsor],
    }[role]
    with tenant_context(org_a):
        for reader in readers:
            expected = _orm_rows(queries.visible_projects(reader, role), today)
            rows, listing = _all_pages(reader, role, today=today)
            assert rows == expected, reader
            waiting = sum(r.status in ("submitted", "closing") for r in expected)
            assert listing.waiting == (waiting if role == "sponsor" else 0)
        assert any(_all_pages(r, role, today=today)[0] for r in readers)


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "running"},
        {"status": "closing", "late_only": True},
        {"late_only": True},
        {"search": "fix <THE>"},
        {"search": "100%"},
        {"search": "waste_"},
        {"search": "_"},
        {"search": "\\"},
        {"search": "nothing like it"},
        {"cohort_id": "cohort"},
        {"cohort_id": "cohort", "late_only": True, "search": "plain"},
        {"sponsor_id": "sponsor"},
    ],
)
def test_the_filters_find_what_the_orm_finds(org_a, org_b, filters):
    world = make_world(org_a)
    _varied_projects(world, 40)
    today = timezone.localdate()
    given = dict(filters)
    if given.get("cohort_id"):
        given["cohort_id"] = world.cohort.pk
    if given.get("sponsor_id"):
        given["sponsor_id"] = world.sponsor.pk
    chosen = queries.ProjectFilters(**given)
    with tenant_context(org_a):
        expected = _orm_rows(queries._filtered(Project.objects.all(), chosen, today), today)
        rows, listing = _all_pages(world.admin, "admin", chosen, today=today)
        assert rows == expected and listing.total == len(expected)
    if filters.get("search") in ("100%", "waste_", "fix <THE>", "_"):
        assert expected
    if filters.get("search") in ("\\", "nothing like it"):
        assert expected == []


@pytest.mark.parametrize(
    "number", [1, 2, "2", 3, 4, 999, 0, -1, "99999999999999999999", "x", None, ""]
)
def test_it_pages_as_djangos_paginator_does(org_a, org_b, number):
    world = make_world(org_a)
    _varied_projects(world, 60)
    today = timezone.localdate()
    with tenant_context(org_a):
        ids = [r.id for r in _orm_rows(Project.objects.all(), today)]
        expected = Paginator(ids, queries.PROJECTS_PER_PAGE).get_page(number)
        with count_queries() as ctx:
            listing = queries.project_list(world.admin, "admin", page_number=number, today=today)
        assert listing.page.number == expected.number
        assert [r.id for r in listing.rows] == list(expected.object_list)
        assert listing.total == 60
        # A page past the end or below 1 costs one more read (not a number reads page 1).
        assert len(ctx.app_queries) == (
            2 if number in (4, 999, 0, -1, "99999999999999999999") else 1
        )


def test_the_page_writes_the_cells_as_the_template_did(client, org_a, org_b):
    world = make_world(org_a)
    today = timezone.localdate()
    with tenant_context(org_a):
        p = Project.objects.create(
            owner=world.learner,
            sponsor=world.sponsor,
            cohort=world.cohort,
            title="Fix <the> & 'handover'",
            problem="p",
            scope="team",
            expected_outcomes="o",
            start_date=today,
            end_date=today + dt.timedelta(days=30),
            status=Project.Status.RUNNING,
        )
        ProjectLearner.objects.create(project=p, learner=world.learner)
        for due, approved, done in [
            (today - dt.timedelta(days=3), today - dt.timedelta(days=3), None),  # late
            (today + dt.timedelta(days=9), today + dt.timedelta(days=2), None),  # at risk
            (today, today, today),  # on time
        ]:
            Milestone.objects.create(
                project=p, title="m", due_on=due, approved_on=approved, done_on=done
            )
        StatusUpdate.objects.create(project=p, on=dt.date(2026, 3, 4), rag="amber", progress="x")
        for k in range(3):
            person = Stakeholder.objects.create(project=p, name=f"S{k}", email=f"s{k}@x.test")
            request = RatingRequest.objects.create(project=p, stakeholder=person)
            StakeholderRating.objects.create(
                request=request, project=p, outcome_quality=4, collaboration=4, communication=3
            )
        for status in ("confirmed", "pending", "rejected"):
            BenefitClaim.objects.create(
                project=p,
                claimant=world.learner,
                measure="m",
                annual_value=100,
                basis="b",
                isolation_pct=50,
                confidence_pct=50,
                status=status,
            )
    client.force_login(world.admin.user)
    page = client.get(f"/o/{org_a.slug}/projects/").content.decode()
    learner = world.learner.user.display_name
    sponsor = world.sponsor.user.display_name
    assert (
        f'<th scope="row"><a href="/o/{org_a.slug}/projects/{p.pk}/">Fix &lt;the&gt; &amp; '
        f'&#x27;handover&#x27;</a><br><span class="muted">{learner} · sponsor {sponsor} · '
        f"Spring cohort</span></th>\n"
        f'      <td><span class="badge badge--available">Running</span>\n</td>\n'
        f'      <td class="num">1 of 3 · <span class="badge badge--overdue">1 late</span> · '
        f'<span class="badge badge--locked">1 at risk</span></td>\n'
        f"      <td>At risk, 4 Mar</td>\n"
        f'      <td class="num">3.7 <span class="muted">(n=3)</span></td>\n'
        f'      <td class="num">1 of 3 confirmed · 1 waiting</td>\n'
    ) in page
    # The cohort's own page leaves the cohort out of each row.
    cohort_page = client.get(f"/o/{org_a.slug}/cohorts/{world.cohort.pk}/projects/")
    assert (
        f'<span class="muted">{learner} · sponsor {sponsor}</span>' in cohort_page.content.decode()
    )
    # Another organisation's admin sees none of it.
    other = make_world(org_b)
    client.force_login(other.admin.user)
    assert "handover" not in client.get(f"/o/{org_b.slug}/projects/").content.decode()
    assert client.get(f"/o/{org_a.slug}/projects/").status_code == 404
