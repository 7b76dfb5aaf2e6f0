"""Running projects: every rule of the charter, approval, milestones, ratings, close, claims,
sign-off and the pathway step, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import AuditEntry
from organizations.outbox.delivery import do_deliver_followup
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, StepCompletion
from projects import notifications, queries, services
from projects.models import (
    BenefitClaim,
    Milestone,
    MilestoneDateChange,
    Project,
    ProjectLearner,
    RatingRequest,
    Stakeholder,
    StakeholderRating,
)
from tests.conftest import make_member
from tests.projects.helpers import charter, claim, enroll_colearner, make_world, running, start


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_it_prefills_milestones_from_the_templates_offsets(org_a, org_b):
    world = make_world(org_a)
    begin = dt.date(2026, 3, 2)
    with tenant_context(org_a):
        planned = services.planned_milestones(world.template, begin)
    assert [(m.title, m.due_on) for m in planned] == [
        ("Map the handover", dt.date(2026, 3, 16)),
        ("Pilot running", dt.date(2026, 4, 13)),
    ]


def test_it_starts_a_draft_with_learners_stakeholders_and_milestones_and_audits(org_a, org_b):
    world = make_world(org_a)
    colleague = make_member(org_a, f"olga@{org_a.slug}.example")
    project = start(world)
    with tenant_context(org_a):
        project.refresh_from_db()
        assert project.status == Project.Status.DRAFT
        assert project.sponsor_id == world.sponsor.pk and project.cohort_id == world.cohort.pk
        assert project.functions == ["Operations", "Customer service"]
        assert list(ProjectLearner.objects.values_list("learner_id", flat=True)) == [
            world.learner.pk
        ]
        stakeholders = {s.email: s.membership_id for s in Stakeholder.objects.all()}
        assert stakeholders == {
            f"olga@{org_a.slug}.example": colleague.pk,
            "carl@partner.example": None,
        }
        assert Milestone.objects.filter(approved_on__isnull=True).count() == 2
        assert AuditEntry.objects.filter(action="created", object_type="Project").exists()
    with tenant_context(org_b):
        assert not Project.objects.exists()


def test_it_refuses_bad_charters_naming_each_field_and_writes_nothing(org_a, org_b):
    world = make_world(org_a)
    outsider = make_member(org_b, "boss@b.example", is_sponsor=True)
    today = timezone.localdate()
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_start_project(
            world.learner,
            world.enrollment.pk,
            world.step.pk,
            charter(
                world,
                title=" ",
                scope="organisation",
                sponsor_email=outsider.user.email,
                co_learner_emails=["nobody@a.example"],
                stakeholders=[services.StakeholderInput("Pat", "not-an-address")],
                milestones=[services.MilestonePlan("Too late", today + dt.timedelta(weeks=20))],
            ),
        )
    errors = _errors(exc)
    assert errors["title"] == ["Give the project a title."]
    assert "wider than the template allows (Team)" in errors["scope_reason"][0]
    assert errors["sponsor_email"] == [
        "boss@b.example is not a member of this organisation. Choose a colleague here."
    ]
    assert "nobody@a.example" in errors["co_learners"][0]
    assert "not an e-mail address" in errors["stakeholders"][0]
    assert "falls after the project's end" in errors["milestones"][0]
    with tenant_context(org_a):
        assert not Project.objects.exists() and not Milestone.objects.exists()


def test_a_required_sponsor_must_be_named_and_a_wider_scope_needs_a_reason(org_a, org_b):
    world = make_world(org_a)
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_start_project(
            world.learner, world.enrollment.pk, world.step.pk, charter(world, sponsor_email="")
        )
    assert "needs a sponsor" in _errors(exc)["sponsor_email"][0]
    project = start(world, scope="cross_functional", scope_reason="Two teams share the handover.")
    assert project.scope == "cross_functional"


def test_a_learner_has_one_project_per_step(org_a, org_b):
    world = make_world(org_a)
    start(world)
    with pytest.raises(ValidationError, match="already have a project"):
        start(world)


def test_sponsor_sends_back_then_approves_and_the_approved_dates_are_fixed(
    org_a, org_b, django_capture_on_commit_callbacks
):
    world = make_world(org_a)
    project = start(world)
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_context(org_a):
            services.do_submit_charter(world.learner, project)
    assert [m.subject for m in mail.outbox] == ["A project charter is waiting for you"]
    assert mail.outbox[0].to == [world.sponsor.user.email]
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_review_charter(world.sponsor, project, approve=False, comment=" ")
        assert "Say what the learner should change" in _errors(exc)["comment"][0]
        with pytest.raises(ValidationError, match="Only the project's sponsor"):
            services.do_review_charter(world.admin, project, approve=True)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        services.do_review_charter(
            world.sponsor, project, approve=False, comment="Add the customer service lead."
        )
    assert mail.outbox[-1].subject == "Your project charter was sent back"
    assert "Add the customer service lead." in mail.outbox[-1].body
    with tenant_context(org_a):
        page = queries.project_page(world.learner, project.pk)
        assert (
            page.status == "sent_back"
            and page.sent_back_comment == "Add the customer service lead."
        )
        services.do_update_charter(world.learner, project, charter(world, title="Halve errors"))
        services.do_submit_charter(world.learner, project)
        services.do_review_charter(world.sponsor, project, approve=True)
        project.refresh_from_db()
        assert project.status == Project.Status.RUNNING and project.title == "Halve errors"
        assert all(m.approved_on == m.due_on for m in Milestone.objects.all())
        # The day-before reminders wait in the outbox for their date.
        due = OutboxEntry.objects.filter(handler="projects.notifications.milestone_due")
        assert due.count() == 2 and all(e.run_after > timezone.now() for e in due)


def test_a_learner_cannot_edit_an_approved_charter(org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a), pytest.raises(ValidationError, match="can no longer be edited"):
        services.do_update_charter(world.learner, project, charter(world, title="Sneaky"))
    with tenant_context(org_a):
        assert Project.objects.get().title == "Halve handover errors on the night shift"


def test_without_a_sponsor_submitting_starts_the_project_and_closing_completes_the_step(
    org_a, org_b
):
    world = make_world(org_a, sponsor_required=False)
    project = running(world, sponsor_email="")
    assert project.status == Project.Status.RUNNING
    with tenant_context(org_a):
        services.do_close_project(world.learner, project, achieved=["Halved", "Owned"])
        project.refresh_from_db()
        assert project.status == Project.Status.CLOSED
        assert StepCompletion.objects.filter(learner=world.learner).count() == 1
        assert Enrollment.objects.get().status == Enrollment.Status.COMPLETED


def test_a_milestone_done_after_its_approved_date_is_late_even_when_moved(org_a, org_b):
    with freeze_time("2026-03-02 09:00:00+00:00"):
        world = make_world(org_a)
        project = running(world)
        with tenant_context(org_a):
            first, second = Milestone.objects.order_by("due_on")
            assert first.approved_on == dt.date(2026, 3, 16)
            with pytest.raises(ValidationError) as exc:
                services.do_move_milestone(
                    world.learner, first, new_date=dt.date(2026, 9, 1), reason=""
                )
            assert "after the project's end" in _errors(exc)["new_date"][0]
            assert "Say why" in _errors(exc)["reason"][0]
            services.do_move_milestone(
                world.learner, first, new_date=dt.date(2026, 3, 20), reason="Night lead ill"
            )
            first.refresh_from_db()
            assert first.approved_on == dt.date(2026, 3, 16) and first.due_on == dt.date(
                2026, 3, 20
            )
            assert MilestoneDateChange.objects.get().old_date == dt.date(2026, 3, 16)
            page = queries.project_page(world.learner, project.pk)
            assert page.milestones[0].state == "at_risk"
    with freeze_time("2026-03-19 09:00:00+00:00"), tenant_context(org_a):
        with pytest.raises(ValidationError) as exc:
            services.do_complete_milestone(world.learner, first, evidence=" ")
        assert "Describe the evidence" in _errors(exc)["evidence"][0]
        services.do_complete_milestone(
            world.learner, first, evidence="New handover sheet in use", links="https://wiki/x"
        )
        with pytest.raises(ValidationError, match="already done"):
            services.do_complete_milestone(world.learner, first, evidence="again")
        page = queries.project_page(world.learner, project.pk)
        assert [m.state for m in page.milestones] == ["done_late", "upcoming"]
        assert page.late == 1 and page.on_time == 0


def test_only_the_projects_learners_post_updates_and_touch_milestones(org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="Only the learners"):
            services.do_post_update(world.sponsor, project, rag="green", progress="x")
        with pytest.raises(ValidationError) as exc:
            services.do_post_update(world.learner, project, rag="purple", progress="")
        assert set(_errors(exc)) == {"rag", "progress"}
        services.do_post_update(world.learner, project, rag="amber", progress="Pilot slipped")
        page = queries.project_page(world.sponsor, project.pk)
        assert page.updates[0].rag_label == "At risk"


def _rate(org, request_id, n=4, comment=""):
    with tenant_context(org):
        return services.do_submit_rating(
            request_id, outcome_quality=n, collaboration=n, communication=n, comment=comment
        )


def test_stakeholders_rate_once_and_the_aggregate_hides_below_the_threshold(
    org_a, org_b, django_capture_on_commit_callbacks
):
    world = make_world(org_a)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    from pathways.models import CohortCoach

    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
    people = [services.StakeholderInput(f"Person {i}", f"p{i}@partner.example") for i in range(5)]
    project = running(world, stakeholders=people)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        milestone = Milestone.objects.order_by("due_on").first()
        assert services.do_request_milestone_ratings(world.learner, milestone) == 5
    assert len(mail.outbox) == 5 and "/r/project/" in mail.outbox[0].body
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="already asked"):
            services.do_request_milestone_ratings(world.learner, milestone)
        requests = list(RatingRequest.objects.order_by("id"))
    _rate(org_a, requests[0].pk, 5, comment="Clear and calm")
    with pytest.raises(services.RatingUnavailable, match="already used"):
        _rate(org_a, requests[0].pk, 1)
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_submit_rating(
            requests[1].pk, outcome_quality=6, collaboration=None, communication=3
        )
    assert set(_errors(exc)) == {"outcome_quality", "collaboration"}
    _rate(org_a, requests[1].pk, 3)
    with tenant_context(org_a):
        assert StakeholderRating.objects.count() == 2
        hidden = queries.project_page(world.learner, project.pk).satisfaction
        assert not hidden.shown and hidden.overall is None and hidden.stakeholders_answered == 2
        assert hidden.occasions[0].answered == 2 and hidden.occasions[0].asked == 5
    _rate(org_a, requests[2].pk, 4, comment="Kept us posted")
    with tenant_context(org_a):
        shown = queries.project_page(world.learner, project.pk).satisfaction
        assert shown.shown and shown.overall == 4.0 and shown.outcome_quality == 4.0
        # Comments wait for the higher comment threshold (5).
        assert shown.comments == [] and "at least 5" in shown.comments_hidden_reason
    for r in requests[3:]:
        _rate(org_a, r.pk, 4)
    with tenant_context(org_a):
        learner_view = queries.project_page(world.learner, project.pk).satisfaction
        assert sorted(learner_view.comments) == ["Clear and calm", "Kept us posted"]
        assert queries.project_page(world.sponsor, project.pk).satisfaction.comments
        coach_view = queries.project_page(coach, project.pk).satisfaction
        assert coach_view.shown and coach_view.overall is not None and coach_view.comments == []


def test_reminders_go_only_to_non_responders_at_most_twice(
    org_a, org_b, django_capture_on_commit_callbacks
):
    world = make_world(org_a)
    project = running(world)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        milestone = Milestone.objects.order_by("due_on").first()
        services.do_request_milestone_ratings(world.learner, milestone)
        reminders = OutboxEntry.objects.filter(handler="projects.notifications.rating_reminder")
        assert reminders.count() == 4  # two stakeholders x two reminders
        gaps = sorted(
            {round((e.run_after - e.created_at).total_seconds() / 86400) for e in reminders}
        )
        assert gaps == [3, 6]
        answered, silent = RatingRequest.objects.order_by("id")
    _rate(org_a, answered.pk)
    mail.outbox.clear()
    with tenant_context(org_a):
        assert notifications.rating_reminder(org_a, answered.pk, 1) == 0
        assert notifications.rating_reminder(org_a, silent.pk, 1) == 1
        assert notifications.rating_reminder(org_a, silent.pk, 1) == 0  # sent once
        assert notifications.rating_reminder(org_a, silent.pk, 2) == 1
        assert notifications.rating_reminder(org_a, silent.pk, 3) == 0  # at most two
    assert len(mail.outbox) == 2 and mail.outbox[0].subject.startswith("Reminder:")
    # Delivered through the outbox when due, once.
    with freeze_time(timezone.now() + dt.timedelta(days=7)), tenant_context(org_a):
        for entry in OutboxEntry.objects.filter(handler__endswith="rating_reminder"):
            assert do_deliver_followup(org_a, entry.pk).outcome == "done"
            assert do_deliver_followup(org_a, entry.pk).outcome == "already done"
    assert len(mail.outbox) == 2  # the silent one had both already; the answered one none
    assert project.pk


def test_e_mails_respect_the_members_preference(org_a, org_b, django_capture_on_commit_callbacks):
    world = make_world(org_a)
    world.sponsor.user.email_reminders = False
    world.sponsor.user.save()
    project = start(world)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        services.do_submit_charter(world.learner, project)
    assert mail.outbox == []


def test_closing_validates_outcomes_and_claims_and_writes_nothing_on_error(org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a), pytest.raises(ValidationError) as exc:
        services.do_close_project(
            world.learner,
            project,
            achieved=["Errors down 60 %", ""],
            claims=[
                claim(isolation_pct=Decimal("120")),
                claim(annual_value=Decimal("-5"), confidence_pct=Decimal("-1")),
            ],
        )
    errors = _errors(exc)
    assert errors["achieved"] == ["Say what was achieved against outcome 2."]
    assert "Claim 1: isolation must be between 0 and 100 %." in errors["claims"]
    assert any("cannot be negative" in e for e in errors["claims"])
    assert "Claim 2: confidence must be between 0 and 100 %." in errors["claims"]
    with tenant_context(org_a):
        assert Project.objects.get().status == Project.Status.RUNNING
        assert not BenefitClaim.objects.exists()


def test_sponsor_decides_claims_signs_off_and_every_learners_step_is_done(
    org_a, org_b, django_capture_on_commit_callbacks
):
    world = make_world(org_a)
    colearner = enroll_colearner(world, "cole@a.example")
    project = running(world, co_learner_emails=["cole@a.example"])
    with tenant_context(org_a):
        services.do_close_project(
            world.learner,
            project,
            achieved=["Errors down 60 %", "Team runs the huddle"],
            claims=[claim(), claim(measure="Overtime", annual_value=Decimal("2000000"))],
        )
        project.refresh_from_db()
        assert project.status == Project.Status.CLOSING
        assert RatingRequest.objects.filter(milestone__isnull=True).count() == 2  # end ratings
        first, extreme = BenefitClaim.objects.order_by("id")
        with pytest.raises(ValidationError, match="Decide the 2 benefit claim"):
            services.do_sign_off(world.sponsor, project, rating=4, assessment="Good")
        with pytest.raises(ValidationError, match="Only the project's sponsor"):
            services.do_decide_claim(world.learner, first, decision="confirmed")
        services.do_decide_claim(
            world.sponsor, first, decision="confirmed", adjusted_value=Decimal("30000")
        )
        with pytest.raises(ValidationError) as exc:
            services.do_decide_claim(world.admin, extreme, decision="excluded", reason="")
        assert "Say why the claim is excluded" in _errors(exc)["reason"][0]
        services.do_decide_claim(
            world.admin, extreme, decision="excluded", reason="Not supported by payroll data"
        )
        with pytest.raises(ValidationError) as exc:
            services.do_sign_off(world.sponsor, project, rating=9, assessment="")
        assert set(_errors(exc)) == {"rating", "assessment"}
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        services.do_sign_off(world.sponsor, project, rating=4, assessment="Solid, lasting change.")
    assert mail.outbox[-1].subject == "Your project is signed off"
    with tenant_context(org_a):
        assert Project.objects.get().status == Project.Status.SIGNED_OFF
        assert set(StepCompletion.objects.values_list("learner_id", flat=True)) == {
            world.learner.pk,
            colearner.pk,
        }
        facts = queries.benefit_claims_for_cohorts([world.cohort.pk])
    confirmed = next(f for f in facts if f.status == "confirmed")
    assert confirmed.annual_value == Decimal("30000")  # the lower of 48,000 and 30,000
    assert confirmed.learner_ids == tuple(sorted([world.learner.pk, colearner.pk]))
    assert confirmed.isolation_pct == 60.0 and confirmed.cohort_id == world.cohort.pk
    excluded = next(f for f in facts if f.status == "excluded")
    assert excluded.excluded_reason == "Not supported by payroll data"


def test_sponsor_can_ask_for_more_and_the_learner_closes_again(org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    with tenant_context(org_a):
        services.do_close_project(world.learner, project, achieved=["a", "b"])
        with pytest.raises(ValidationError) as exc:
            services.do_ask_for_more(world.sponsor, project, comment="")
        assert "comment" in _errors(exc)
        services.do_ask_for_more(world.sponsor, project, comment="Show the error data.")
        page = queries.project_page(world.learner, project.pk)
        assert page.status == "running" and page.more_asked_comment == "Show the error data."
        services.do_close_project(world.learner, project, achieved=["a (data attached)", "b"])
        services.do_sign_off(world.sponsor, project, rating=5, assessment="Convincing now.")
        assert StepCompletion.objects.count() == 1


def test_the_pathway_step_cannot_be_marked_done_by_the_learner(org_a, org_b):
    from pathways.learning.services import do_mark_step_done

    world = make_world(org_a)
    with tenant_context(org_a), pytest.raises(ValidationError, match="sponsor signs"):
        do_mark_step_done(world.learner, world.enrollment.pk, world.step.pk)


def test_next_actions_name_the_charter_the_late_milestone_and_the_closing_report(org_a, org_b):
    with freeze_time("2026-03-02 09:00:00+00:00"):
        world = make_world(org_a)
        project = start(world)
        with tenant_context(org_a):
            [action] = queries.next_actions_for(world.learner, org_a.slug, dt.date(2026, 3, 2))
        assert action.kind == "project_charter" and action.url.endswith(f"/projects/{project.pk}/")
        with tenant_context(org_a):
            services.do_submit_charter(world.learner, project)
            services.do_review_charter(world.sponsor, project, approve=True)
    with tenant_context(org_a):
        [action] = queries.next_actions_for(world.learner, org_a.slug, dt.date(2026, 3, 20))
        assert action.kind == "milestone" and action.due_on == dt.date(2026, 3, 16)
        assert "Late" in action.reason
        for m in Milestone.objects.all():
            Milestone.objects.filter(pk=m.pk).update(done_on=m.approved_on)
        [action] = queries.next_actions_for(world.learner, org_a.slug, dt.date(2026, 4, 20))
        assert action.kind == "project_close" and action.url.endswith("/close/")
        assert queries.next_actions_for(world.sponsor, org_a.slug, dt.date(2026, 4, 20)) == []


def test_late_milestones_by_learner_counts_open_milestones_past_their_approved_date(org_a, org_b):
    with freeze_time("2026-03-02 09:00:00+00:00"):
        world = make_world(org_a)
        other = make_world(org_a, prefix="b-")
        running(world)
        running(other)
    with freeze_time("2026-04-20 09:00:00+00:00"), tenant_context(org_a):
        first = Milestone.objects.filter(project__owner=world.learner).order_by("due_on").first()
        Milestone.objects.filter(pk=first.pk).update(done_on=dt.date(2026, 3, 10))
        assert queries.late_milestones_by_learner([world.learner.pk, other.learner.pk]) == {
            world.learner.pk: 1,
            other.learner.pk: 2,
        }
        assert queries.late_milestones_by_learner([]) == {}


def test_team_project_facts_count_milestones_satisfaction_and_breadth(org_a, org_b):
    from organizations.models import Team

    with tenant_context(org_a):
        team = Team.objects.create(name="Night shift")
    people = [services.StakeholderInput(f"P{i}", f"p{i}@x.example") for i in range(3)]
    with freeze_time("2026-03-02 09:00:00+00:00"):
        world = make_world(org_a, team=team)
        project = running(world, stakeholders=people)
    with freeze_time("2026-03-14 09:00:00+00:00"), tenant_context(org_a):
        first, second = Milestone.objects.order_by("due_on")
        services.do_complete_milestone(world.learner, first, evidence="done")
        services.do_request_milestone_ratings(world.learner, first)
        requests = list(RatingRequest.objects.order_by("id"))
    for r, n in zip(requests[:2], (4, 5), strict=True):
        with freeze_time("2026-03-15 09:00:00+00:00"):
            _rate(org_a, r.pk, n)
    period = (dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    with freeze_time("2026-04-20 09:00:00+00:00"), tenant_context(org_a):
        [facts] = queries.team_project_facts([world.cohort.pk], *period)
        assert facts.team_id == team.pk and facts.projects == 1
        assert (facts.milestones_due, facts.milestones_on_time, facts.milestones_late) == (2, 1, 1)
        assert facts.satisfaction_n == 2 and facts.satisfaction_mean is None  # below 3
        assert facts.functions_breadth == 2.0
    with freeze_time("2026-03-16 09:00:00+00:00"):
        _rate(org_a, requests[2].pk, 3)
    with freeze_time("2026-04-20 09:00:00+00:00"), tenant_context(org_a):
        [facts] = queries.team_project_facts(None, *period)
        assert facts.satisfaction_n == 3 and facts.satisfaction_mean == 4.0
        assert queries.team_project_facts([world.cohort.pk + 999], *period) == []
    with tenant_context(org_b):
        assert queries.team_project_facts(None, *period) == []
    assert project.pk
