"""GDPR for projects: the export holds the person's projects and nothing of other people's
individual ratings; erasure deletes their text and leaves every project figure unchanged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from organizations.gdpr.services import do_erase_person, purge_expired
from organizations.models import Membership, Organization, Team
from organizations.tenancy import tenant_context
from projects import queries, services
from projects.models import BenefitClaim, Milestone, Project, RatingRequest, StakeholderRating
from projects.privacy import export_person
from tests.conftest import make_member
from tests.organizations.test_gdpr import _tables_containing
from tests.projects.helpers import claim, make_world, running

PROBLEM = "PROBLEM-planted-7101 handovers lose orders"
OUTCOMES = "OUTCOME-planted-7102 errors halved"
UPDATE = "UPDATE-planted-7103"
MOVE = "MOVE-planted-7104"
EVIDENCE = "EVIDENCE-planted-7105"
ACHIEVED = "ACHIEVED-planted-7106"
BASIS = "BASIS-planted-7107"
ASSESSMENT = "ASSESSMENT-planted-7108"
RATING_COMMENT = "RATING-planted-7109"
ERASED = (PROBLEM, OUTCOMES, UPDATE, MOVE, EVIDENCE, ACHIEVED, BASIS, ASSESSMENT, RATING_COMMENT)
ORG_B_PROBLEM = "GLOBEX-problem-7110"


@pytest.fixture
def world(org_a, org_b):
    wb = make_world(org_b, prefix="b")
    running(wb, problem=ORG_B_PROBLEM)
    with tenant_context(org_a):
        team = Team.objects.create(name="Night shift")
    w = make_world(org_a, team=team)
    olga = make_member(org_a, f"olga@{org_a.slug}.example", is_learner=True)
    people = [services.StakeholderInput("Olga Ops", olga.user.email)] + [
        services.StakeholderInput(f"P{i}", f"p{i}@partner.example") for i in range(3)
    ]
    project = running(w, problem=PROBLEM, expected_outcomes=OUTCOMES, stakeholders=people)
    today = timezone.localdate()
    with tenant_context(org_a):
        first, second = Milestone.objects.order_by("due_on")
        services.do_move_milestone(
            w.learner, second, new_date=today + dt.timedelta(days=50), reason=MOVE
        )
        services.do_complete_milestone(w.learner, first, evidence=EVIDENCE)
        services.do_request_milestone_ratings(w.learner, first)
        for n, request in enumerate(RatingRequest.objects.order_by("id")):
            services.do_submit_rating(
                request.pk, outcome_quality=3 + n % 3, collaboration=4, communication=5,
                comment=RATING_COMMENT if request.stakeholder.email == olga.user.email else "",
            )  # fmt: skip
        services.do_post_update(w.learner, project, rag="amber", progress=UPDATE)
        project.refresh_from_db()
        services.do_close_project(
            w.learner, project, achieved=[ACHIEVED], claims=[claim(basis=BASIS)]
        )
        services.do_decide_claim(
            w.sponsor, BenefitClaim.objects.get(), decision="confirmed",
            adjusted_value=Decimal("30000"),
        )  # fmt: skip
        project.refresh_from_db()
        services.do_sign_off(w.sponsor, project, rating=4, assessment=ASSESSMENT)
    return w, wb, olga, project


def _figures(org: Organization, cohort_id: int, learner_id: int, project_id: int):
    period = (
        timezone.localdate() - dt.timedelta(days=400),
        timezone.localdate() + dt.timedelta(days=400),
    )
    with tenant_context(org):
        claims = [
            dataclasses.replace(f, basis="", excluded_reason="", project_title="")
            for f in queries.benefit_claims_for_cohorts([cohort_id])
        ]
        return (
            queries.team_project_facts(None, *period),
            claims,
            queries.late_milestones_by_learner([learner_id]),
            queries.satisfaction_for(project_id, with_comments=False),
            list(
                Project.objects.values_list(
                    "status",
                    "start_date",
                    "end_date",
                    "approved_at",
                    "signed_off_at",
                    "sponsor_rating",
                    "owner_id",
                    "sponsor_id",
                )
            ),  # fmt: skip
            list(Milestone.objects.order_by("id").values_list("due_on", "approved_on", "done_on")),
            list(
                StakeholderRating.objects.order_by("id").values_list(
                    "outcome_quality", "collaboration", "communication"
                )
            ),  # fmt: skip
            list(
                BenefitClaim.objects.values_list(
                    "annual_value", "adjusted_value", "isolation_pct", "confidence_pct", "status"
                )
            ),  # fmt: skip
        )


def test_the_export_holds_the_learners_projects_and_no_individual_ratings(world):
    w, _wb, olga, _project = world
    with tenant_context(w.org):
        mine = json.dumps(export_person(w.learner))
        olgas = export_person(olga)
    for text in ERASED:
        if text != RATING_COMMENT:
            assert text in mine, text
    assert RATING_COMMENT not in mine and ORG_B_PROBLEM not in mine
    assert olga.user.email not in mine and "p1@partner.example" not in mine
    assert [r["comment"] for r in olgas["ratings_you_gave"]] == [RATING_COMMENT]
    assert olgas["you_as_stakeholder"][0]["email"] == olga.user.email
    assert olgas["projects"] == [] and PROBLEM not in json.dumps(olgas)


def test_erasing_the_learner_deletes_their_project_text_and_keeps_every_figure(world):
    w, wb, _olga, project = world
    before = _figures(w.org, w.cohort.pk, w.learner.pk, project.pk)
    assert before[1][0].annual_value == Decimal("30000") and before[0][0].projects == 1
    with tenant_context(w.org):
        receipt = do_erase_person(None, w.learner, w.learner.user.email)
        assert receipt.items["projects (charter text deleted)"] == 1
        for text in ERASED:
            assert _tables_containing(text) == [], text
    assert _figures(w.org, w.cohort.pk, w.learner.pk, project.pk) == before
    with tenant_context(wb.org):
        assert Project.objects.get().problem == ORG_B_PROBLEM


def test_erasing_a_member_stakeholder_removes_their_name_address_and_comment(world):
    w, _wb, olga, project = world
    before = _figures(w.org, w.cohort.pk, w.learner.pk, project.pk)
    email = olga.user.email
    with tenant_context(w.org):
        receipt = do_erase_person(None, olga, email)
        assert receipt.items["stakeholder entries made anonymous"] == 1
        assert _tables_containing(RATING_COMMENT) == [] and _tables_containing(email) == []
        assert _tables_containing(PROBLEM)  # the owner's charter stays
        assert Membership.objects.get(pk=olga.pk).user.email.endswith("@erased.invalid")
    assert _figures(w.org, w.cohort.pk, w.learner.pk, project.pk) == before


def test_the_retention_job_deletes_old_rating_comments_and_keeps_the_scores(world):
    w, wb, _olga, project = world
    before = _figures(w.org, w.cohort.pk, w.learner.pk, project.pk)
    Organization.objects.filter(pk=w.org.pk).update(retention_days=30)
    w.org.refresh_from_db()
    with tenant_context(w.org):
        assert "stakeholder rating comments deleted" not in purge_expired(w.org)
        later = timezone.now() + dt.timedelta(days=31)
        assert purge_expired(w.org, later)["stakeholder rating comments deleted"] == 1
        assert _tables_containing(RATING_COMMENT) == []
    assert _figures(w.org, w.cohort.pk, w.learner.pk, project.pk) == before
