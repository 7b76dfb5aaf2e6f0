"""Step states and the one next step: order, prerequisites, availability, electives,
personalisation, due reviews and overdue work."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from freezegun import freeze_time

from organizations.tenancy import tenant_context
from pathways import queries
from pathways.learning.queries import learner_home
from pathways.models import (
    ElectiveChoice,
    ReviewCard,
    SelfAssessment,
    Step,
    StepCompletion,
    StepPrerequisite,
)
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.learning.factories import (
    add_rule,
    due_cards,
    link_competencies,
    make_framework,
    make_group,
    open_modules,
)


def _states(org, member):
    with tenant_context(org):
        [view] = queries.learner_enrollments(member)
    return view, [s.state for s in view.steps]


def _done(org, enrollment, member, *steps):
    with tenant_context(org):
        for step in steps:
            StepCompletion.objects.create(enrollment=enrollment, learner=member, step_key=step.key)


def _home(org, member):
    with tenant_context(org):
        return learner_home(member, org.slug)


def test_it_opens_steps_in_order_by_default(org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    view, states = _states(org_a, leo)
    assert states == ["available", "locked", "locked", "locked"]
    assert view.steps[1].reason == "After “Leading Through Change module 1”"
    _done(org_a, enrollment, leo, fixture.steps[0])
    view, states = _states(org_a, leo)
    assert states == ["done", "available", "locked", "locked"]
    assert view.next_step.id == fixture.steps[1].pk


def test_it_follows_explicit_prerequisites_instead_of_the_previous_step(org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        # Step 3 only needs step 1; step 4 needs steps 2 and 3.
        StepPrerequisite.objects.create(step=fixture.steps[2], requires=fixture.steps[0])
        StepPrerequisite.objects.create(step=fixture.steps[3], requires=fixture.steps[1])
        StepPrerequisite.objects.create(step=fixture.steps[3], requires=fixture.steps[2])
    _view, states = _states(org_a, leo)
    assert states == ["available", "locked", "locked", "locked"]
    _done(org_a, enrollment, leo, fixture.steps[0])
    view, states = _states(org_a, leo)
    assert states == ["done", "available", "available", "locked"]
    _done(org_a, enrollment, leo, fixture.steps[2])
    view, states = _states(org_a, leo)
    assert states == ["done", "available", "done", "locked"]
    assert view.steps[3].reason == "After “Leading Through Change module 2”"


@freeze_time("2026-03-02 10:00:00+00:00")
def test_it_keeps_steps_locked_until_their_availability_date(org_a, org_b):
    fixture = make_pathway(org_a, offsets=[0, 10, 10, 10])
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    _done(org_a, enrollment, leo, fixture.steps[0])
    view, states = _states(org_a, leo)
    assert states == ["done", "locked", "locked", "locked"]
    assert view.steps[1].reason == "Opens in 9 days (11 Mar)"  # the cohort started yesterday
    assert view.next_step is None
    with tenant_context(org_a):
        later = queries.learner_enrollments(leo, timezone.localdate() + dt.timedelta(days=10))
    assert later[0].steps[1].state == "available"


def test_it_skips_a_step_the_baseline_makes_unnecessary_and_says_why(org_a, org_b):
    fixture = make_pathway(org_a)
    [feedback] = make_framework(org_a, ["Giving feedback"])
    link_competencies(org_a, fixture, [feedback])
    add_rule(org_a, fixture.steps[1], feedback, threshold=4)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    view, states = _states(org_a, leo)
    assert view.needs_diagnostic and states[1] == "locked"  # no baseline yet: keep the step
    with tenant_context(org_a):
        SelfAssessment.objects.create(enrollment=enrollment, competency=feedback, rating=4)
    _done(org_a, enrollment, leo, fixture.steps[0])
    view, states = _states(org_a, leo)
    assert states == ["done", "skipped", "available", "locked"]
    assert view.steps[1].reason == "Skipped: your baseline on Giving feedback is already 4"
    assert (view.steps_done, view.steps_total) == (1, 3)
    assert not view.needs_diagnostic


def test_it_keeps_a_step_for_a_learner_below_the_threshold(org_a, org_b):
    fixture = make_pathway(org_a)
    [feedback] = make_framework(org_a, ["Giving feedback"])
    add_rule(org_a, fixture.steps[0], feedback, threshold=4)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        SelfAssessment.objects.create(enrollment=enrollment, competency=feedback, rating=3)
    _view, states = _states(org_a, leo)
    assert states[0] == "available"


def test_it_requires_k_of_n_electives_once_chosen(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=5)
    make_group(org_a, fixture, fixture.steps[1:4], choose=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    _done(org_a, enrollment, leo, fixture.steps[0])
    view, states = _states(org_a, leo)
    assert states == ["done", "choose", "choose", "choose", "locked"]
    assert view.steps[4].reason == "After you choose in “Pick your focus”"
    assert view.steps_total == view.stages[0].required == 4  # 1 core + 2 of 3 electives + 1 core
    assert view.pending_electives[0].needed == 2
    with tenant_context(org_a):
        for step in (fixture.steps[1], fixture.steps[3]):
            ElectiveChoice.objects.create(enrollment=enrollment, step_key=step.key)
    view, states = _states(org_a, leo)
    assert states == ["done", "available", "not_chosen", "locked", "locked"]
    assert view.steps[3].reason == "After “Leading Through Change module 2”"
    assert view.steps_total == 4 and not view.pending_electives


@freeze_time("2026-03-02 10:00:00+00:00")
def test_it_ranks_overdue_work_first_then_due_reviews_then_the_next_step(org_a, org_b):
    fixture = make_pathway(org_a, start=timezone.localdate() - dt.timedelta(days=20))
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    due_cards(org_a, leo, fixture.steps[3].module_id, 3)

    home = _home(org_a, leo)
    assert home.next_step.kind == "reviews" and home.next_step.reason == "3 reviews due"
    assert home.reviews_due == 3

    with tenant_context(org_a):
        Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=7)
    home = _home(org_a, leo)
    assert home.next_step.kind == "overdue"  # due 7 days after a start 20 days ago
    assert home.next_step.reason == "Was due 13 days ago (17 Feb)"
    assert home.next_step.step.id == fixture.steps[0].pk


def test_it_names_the_stage_and_pathway_of_the_next_step(org_a, org_b):
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    home = _home(org_a, leo)
    assert home.next_step.kind == "step"
    assert home.next_step.reason == "Next in Stage 1 of Leading Through Change"
    assert home.next_step.url.endswith(f"/steps/{fixture.steps[0].pk}/")


def test_it_chooses_across_all_enrolments(org_a, org_b):
    first = make_pathway(org_a, n_steps=1, name="Finance for leaders")
    second = make_pathway(org_a, n_steps=2, name="Leading Through Change")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    done = enroll(org_a, first, leo)
    enroll(org_a, second, leo)
    _done(org_a, done, leo, first.steps[0])
    home = _home(org_a, leo)
    assert home.next_step.title == "Leading Through Change module 1"
    assert home.celebrations[0].kind == "pathway"
    assert home.celebrations[0].pathway == "Finance for leaders"


def test_it_asks_for_the_diagnostic_before_anything_else(org_a, org_b):
    fixture = make_pathway(org_a)
    link_competencies(org_a, fixture, make_framework(org_a, ["Coaching"]))
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    home = _home(org_a, leo)
    assert home.next_step.kind == "diagnostic"
    assert home.next_step.url.endswith(f"/learn/enrollments/{enrollment.pk}/diagnostic/")


def test_it_offers_the_elective_choice_when_nothing_else_is_open(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=3)
    make_group(org_a, fixture, fixture.steps[:2], choose=1)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    home = _home(org_a, leo)
    assert home.next_step.kind == "electives"
    assert home.next_step.title == "Choose 1 of 2: Pick your focus"


def test_it_celebrates_a_stage_just_finished(client, org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        second = fixture.steps[1]
        stage2 = second.stage.__class__.objects.create(
            version=fixture.version, title="Stage 2", position=1
        )
        Step.objects.filter(pk=second.pk).update(stage=stage2)
    _done(org_a, enrollment, leo, fixture.steps[0])
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/").content.decode()
    assert "Stage 1: finished!" in page
    assert "Next in Stage 2 of Leading Through Change" in page


def test_it_opens_steps_on_the_organisations_calendar_day_not_utcs(client, org_a, org_b):
    org_a.time_zone = "Australia/Sydney"
    org_a.save(update_fields=["time_zone"])
    # 22:00 UTC on 2 March is 09:00 on 3 March in Sydney: the cohort starting 3 March is open.
    with freeze_time("2026-03-02 22:00:00+00:00"):
        fixture = make_pathway(org_a, n_steps=1, start=dt.date(2026, 3, 3))
        leo = make_member(org_a, "leo@example.com", is_learner=True)
        enrollment = enroll(org_a, fixture, leo)
        view, states = _states(org_a, leo)
        assert states == [queries.AVAILABLE], view.steps[0].reason
        assert _home(org_a, leo).next_step.kind == "step"
        client.force_login(leo.user)
        step = fixture.steps[0]
        open_modules(org_a, leo, step.module_id)
        url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/done/"
        assert client.post(url).status_code == 302
    with tenant_context(org_a):
        assert StepCompletion.objects.filter(enrollment=enrollment).count() == 1
    bob = make_member(org_b, "bob@example.com", is_learner=True)
    client.force_login(bob.user)
    assert client.post(url.replace(org_a.slug, org_b.slug)).status_code == 404


def test_the_home_words_due_and_opening_dates_by_the_organisations_day(client, org_a, org_b):
    org_a.time_zone = "Australia/Sydney"
    org_a.save(update_fields=["time_zone"])
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    # 13:30 UTC on 2 March is 00:30 on 3 March in Sydney: on a UTC clock the first step would
    # be due tomorrow, then due today rather than overdue.
    with freeze_time("2026-03-02 13:30:00+00:00"):
        fixture = make_pathway(org_a, n_steps=3, start=dt.date(2026, 3, 1), offsets=[0, 0, 10])
        enrollment = enroll(org_a, fixture, leo)
        with tenant_context(org_a):
            Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=2)
        page = client.get(f"/o/{org_a.slug}/").content.decode()
        assert 'due <time datetime="2026-03-03" title="Tue 3 Mar 2026">today (3 Mar)</time>' in page
        assert "Opens in 8 days (11 Mar)" in page

        with tenant_context(org_a):
            Step.objects.filter(pk=fixture.steps[0].pk).update(due_offset_days=1)
            Step.objects.filter(pk=fixture.steps[1].pk).update(due_offset_days=3)
        page = client.get(f"/o/{org_a.slug}/").content.decode()
        assert "Was due yesterday (2 Mar)" in page  # the next step's reason
        assert (
            'was due <time datetime="2026-03-02" title="Mon 2 Mar 2026">yesterday (2 Mar)</time>'
            in page
        )
        # Marking it done by htmx swaps in a card worded by the same day.
        step = fixture.steps[0]
        url = f"/o/{org_a.slug}/learn/enrollments/{enrollment.pk}/steps/{step.pk}/done/"
        card = client.post(url, HTTP_HX_REQUEST="true").content.decode()
        assert 'due <time datetime="2026-03-04" title="Wed 4 Mar 2026">tomorrow (4 Mar)</time>' in (
            card
        )
    bob = make_member(org_b, "bob@example.com", is_learner=True)
    client.force_login(bob.user)
    assert client.get(f"/o/{org_a.slug}/").status_code == 404


def test_due_reviews_ride_on_the_enrolments_and_count_without_them(org_a, org_b):
    """The due reviews are read with the enrolments (one statement less); a learner without an
    enrolment (modules taken on their own) still has theirs counted, and only due ones."""
    fixture = make_pathway(org_a)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    ann = make_member(org_a, "ann@example.com", is_learner=True)
    enroll(org_a, fixture, leo)
    enroll(org_a, make_pathway(org_a, name="Second pathway"), leo)
    due_cards(org_a, leo, fixture.steps[1].module_id, 2)
    due_cards(org_a, ann, fixture.steps[1].module_id, 1)
    with tenant_context(org_a):
        later = ReviewCard.objects.filter(learner=leo).order_by("pk").first()
        ReviewCard.objects.filter(pk=later.pk).update(due=timezone.now() + dt.timedelta(days=2))
    assert _home(org_a, leo).reviews_due == 1  # one due, one later, counted once over 2 rows
    assert len(_home(org_a, leo).enrollments) == 2
    assert _home(org_a, ann).reviews_due == 1 and _home(org_a, ann).enrollments == []
    # Another organisation's learner sees none of them.
    bea = make_member(org_b, "bea@example.com", is_learner=True)
    assert _home(org_b, bea).reviews_due == 0


def test_self_assessments_read_with_the_facts_still_personalise(org_a, org_b):
    """Ratings come in the same round trip as completions and choices: a rating below the
    threshold still keeps the step, one above it still skips it, and a rated pathway no
    longer asks for the diagnostic."""
    fixture = make_pathway(org_a, n_steps=3)
    [comp] = make_framework(org_a, ["Delegation"])
    link_competencies(org_a, fixture, [comp])
    add_rule(org_a, fixture.steps[1], comp)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrollment, learner=leo, step_key=fixture.steps[0].key
        )
    assert _home(org_a, leo).next_step.kind == "diagnostic"
    with tenant_context(org_a):
        SelfAssessment.objects.create(enrollment=enrollment, competency=comp, rating=5)
    [view] = _home(org_a, leo).enrollments
    assert not view.needs_diagnostic
    assert [s.state for s in view.steps] == ["done", "skipped", "available"]
