"""The filters' choices (the organisation's teams and functions) and the cohort's own coaches
and sponsors, each read in one statement, each list in order."""

from __future__ import annotations

import pytest

from organizations.models import Membership, Team
from organizations.tenancy import tenant_context
from pathways.cohorts.queries import (
    StaffMember,
    cohort_page,
    cohort_page_with_learners,
    cohort_staff,
    filter_choices,
)
from pathways.models import Cohort, CohortCoach, CohortSponsor
from tests.conftest import count_queries, make_member, make_pathway


def test_it_lists_each_function_of_the_organisation_once_in_order(org_a, org_b):
    for i, function in enumerate(["Sales", "Finance", "", "Sales", "Operations", "Finance"]):
        make_member(org_a, f"p{i}@a.example", is_learner=True)
        with tenant_context(org_a):
            Membership.objects.filter(user__email=f"p{i}@a.example").update(function=function)
    make_member(org_b, "other@b.example", is_learner=True)
    with tenant_context(org_b):
        Membership.objects.filter(user__email="other@b.example").update(function="Legal")
    with tenant_context(org_a):
        with count_queries() as ctx:
            choices = filter_choices()
    assert choices.functions == ["Finance", "Operations", "Sales"]
    assert len(ctx.app_queries) == 1
    with tenant_context(org_b):
        assert filter_choices().functions == ["Legal"]


def test_it_reads_teams_and_the_cohorts_staff_each_in_one_statement(org_a, org_b):
    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        ops, board = Team.objects.create(name="Operations"), Team.objects.create(name="Board")
    zoe = make_member(org_a, "zoe@a.example", is_coach=True, is_sponsor=True)
    amy = make_member(org_a, "amy@a.example", is_coach=True)
    ben = make_member(org_a, "ben@a.example", is_sponsor=True)
    make_member(org_a, "gone@a.example", is_coach=True, is_active=False)
    make_member(org_a, "learner@a.example", is_learner=True)
    other_fixture = make_pathway(org_b, name="Globex path")
    stranger = make_member(org_b, "stranger@b.example", is_coach=True, is_sponsor=True)
    with tenant_context(org_b):
        Team.objects.create(name="Globex team")
        CohortCoach.objects.create(cohort=other_fixture.cohort, membership=stranger)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=zoe)
        CohortCoach.objects.create(cohort=fixture.cohort, membership=amy)
        CohortSponsor.objects.create(cohort=fixture.cohort, membership=ben)
        with count_queries() as ctx:
            choices = filter_choices()
            coaches, sponsors = cohort_staff(fixture.cohort.pk)
        # Another organisation's cohort id finds no staff here (both walls).
        foreign, _sponsors = cohort_staff(other_fixture.cohort.pk)
    assert len(ctx.app_queries) == 2
    assert choices.teams == [(board.pk, "Board"), (ops.pk, "Operations")]
    assert coaches == [
        StaffMember(amy.pk, "Amy", "amy@a.example"),
        StaffMember(zoe.pk, "Zoe", "zoe@a.example"),
    ]
    assert sponsors == [StaffMember(ben.pk, "Ben", "ben@a.example")]
    assert foreign == []


def test_the_page_reads_its_header_and_its_staff_in_one_statement(org_a, org_b):
    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        Team.objects.create(name="Operations")
    coach = make_member(org_a, "zoe@a.example", is_coach=True)
    make_member(org_a, "unassigned@a.example", is_coach=True, is_sponsor=True)
    other_fixture = make_pathway(org_b, name="Globex path")
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=coach)
        with count_queries() as ctx:
            overview, period, reminder, staff, _page = cohort_page_with_learners(
                fixture.cohort.pk, "all", "", None
            )
        # The same as the header and the cohort's staff read apart; no one else's names (who
        # can be assigned is found as the admin types).
        assert (overview, period, reminder) == cohort_page(fixture.cohort.pk)
        assert staff is not None and staff == cohort_staff(fixture.cohort.pk)
        with count_queries() as filters:
            assert [name for _pk, name in filter_choices().teams] == ["Operations"]
        assert len(filters.app_queries) == 1
        # A view the header does not count has its count in the header's statement too: the
        # header and the staff, then the page's learners, whatever the view.
        for show, q, with_staff in [
            ("all", "zoe", True),
            ("overdue", "", False),
            ("not_started", "", True),
            ("withdrawn", "x", False),
        ]:
            with count_queries() as viewed:
                read = cohort_page_with_learners(fixture.cohort.pk, show, q, None, with_staff)
            assert len(viewed.app_queries) == 2
            assert read[:3] == (overview, period, reminder)
            assert read[3] == (staff if with_staff else None)
        # Another organisation's cohort is not found here.
        with pytest.raises(Cohort.DoesNotExist):
            cohort_page_with_learners(other_fixture.cohort.pk, "all", "", None)
        with pytest.raises(Cohort.DoesNotExist):
            cohort_page_with_learners(other_fixture.cohort.pk, "overdue", "a", "2", False)
    assert len(ctx.app_queries) == 2  # the header and the staff, then the learners
    assert staff is not None
    assert staff == ([StaffMember(coach.pk, "Zoe", "zoe@a.example")], [])
    with tenant_context(org_b):
        assert cohort_staff(fixture.cohort.pk) == ([], [])
