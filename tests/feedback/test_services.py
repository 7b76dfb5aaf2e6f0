"""Service rules of 360 feedback: launch, nominations, approval, answers, links, close, reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.signing import TimestampSigner
from django.utils import timezone
from freezegun import freeze_time

from measurement.feedback import notifications, services
from measurement.feedback.models import (
    Answer,
    Cycle,
    Item,
    Participant,
    RaterRequest,
    Relationship,
    Report,
)
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
    participant_of,
)


@pytest.fixture
def scene(org_a, org_b):
    build_scene(org_b, prefix="b-")  # a second organisation in every module
    return build_scene(org_a)


def test_it_launches_a_baseline_with_items_participants_self_and_proposed_manager(scene):
    cycle = launch(scene)
    with tenant_context(scene.org):
        assert Item.objects.filter(cycle=cycle).count() == 6  # 3 competencies x 2 indicators
        participant = Participant.objects.get(cycle=cycle)
        kinds = dict(participant.requests.values_list("relationship", "rater_id"))
        assert kinds == {"self": scene.learner.pk, "manager": scene.manager.pk}
        assert cycle.anchors[0] == "Rarely" and len(cycle.anchors) == 5
        assert OutboxEntry.objects.filter(dedupe_key=f"fb-nominate-{participant.pk}").exists()


def test_it_copies_the_baseline_items_and_anchors_into_a_follow_up(scene):
    baseline = launch(scene)
    with pytest.raises(services.FeedbackError, match="Close the baseline"):
        launch(scene, kind="follow_up", baseline=baseline)
    close_and_compute(scene, baseline)
    follow_up = launch(scene, kind="follow_up", baseline=baseline, competency_ids=[])
    with tenant_context(scene.org):
        before = list(baseline.items.values_list("indicator_id", "text", "position"))
        after = list(follow_up.items.values_list("indicator_id", "text", "position"))
        assert before == after and len(after) == 6
        follow_up.refresh_from_db()
        assert follow_up.anchors == baseline.anchors
        assert follow_up.question_1 == baseline.question_1


def test_it_refuses_bad_launch_dates_and_no_competencies(scene):
    today = timezone.localdate()
    spec = services.CycleSpec(
        title="x",
        kind="baseline",
        cohort_id=scene.fixture.cohort.pk,
        nominations_close_on=today + dt.timedelta(days=5),
        responses_close_on=today + dt.timedelta(days=2),
        competency_ids=scene.competency_ids,
    )
    with tenant_context(scene.org):
        with pytest.raises(services.FeedbackError) as exc:
            services.do_launch_cycle(scene.admin, spec, today)
        assert exc.value.field == "responses_close_on"
        spec2 = services.CycleSpec(
            **{
                **spec.__dict__,
                "responses_close_on": today + dt.timedelta(days=9),
                "competency_ids": [],
            }
        )
        with pytest.raises(services.FeedbackError) as exc:
            services.do_launch_cycle(scene.admin, spec2, today)
        assert exc.value.field == "competencies"
        assert not Cycle.objects.exists()  # nothing half-written


def test_it_refuses_nominating_oneself_twice_or_beyond_the_maximum(scene):
    cycle = launch(scene, max_per_group=4, recommended_per_group=4)
    participant = participant_of(scene, cycle)
    with tenant_context(scene.org):
        with pytest.raises(services.FeedbackError, match="rate yourself"):
            services.do_nominate(
                participant, scene.learner, "peer", scene.learner.user.email.upper()
            )
        services.do_nominate(participant, scene.learner, "peer", "pat@x.example")
        with pytest.raises(services.FeedbackError, match="already nominated") as exc:
            services.do_nominate(participant, scene.learner, "other", "PAT@x.example")
        assert exc.value.field == "email"
        for i in range(3):
            services.do_nominate(participant, scene.learner, "peer", f"p{i}@x.example")
        with pytest.raises(services.FeedbackError, match="maximum of 4"):
            services.do_nominate(participant, scene.learner, "peer", "p9@x.example")
        with pytest.raises(services.FeedbackError, match="Only the learner"):
            services.do_nominate(participant, scene.manager, "peer", "q@x.example")
        assert participant.requests.count() == 6  # self, manager, 4 peers


def test_it_refuses_a_list_below_the_minimum(scene):
    cycle = launch(scene)
    participant = participant_of(scene, cycle)
    with tenant_context(scene.org):
        for i in range(3):
            services.do_nominate(participant, scene.learner, "peer", f"p{i}@x.example")
        services.do_nominate(participant, scene.learner, "direct_report", "d0@x.example")
        with pytest.raises(services.FeedbackError, match="at least 3 direct reports, or none"):
            services.do_submit_nominations(participant, scene.learner)
        participant.refresh_from_db()
        assert participant.nominations == Participant.Nominations.DRAFT


def test_only_the_manager_or_an_admin_approves_and_approval_invites_with_three_reminders(scene):
    cycle = launch(scene)
    participant = participant_of(scene, cycle)
    with tenant_context(scene.org):
        for i in range(3):
            services.do_nominate(participant, scene.learner, "peer", f"p{i}@x.example")
        services.do_submit_nominations(participant, scene.learner)
        with pytest.raises(services.FeedbackError, match="manager or an HR admin"):
            services.do_approve_nominations(participant, scene.learner)
        assert services.do_approve_nominations(participant, scene.manager) == 4
        invited = RaterRequest.objects.filter(status=RaterRequest.Status.INVITED)
        assert invited.count() == 5  # 4 raters + self
        peer = invited.filter(relationship="peer").first()
        reminders = OutboxEntry.objects.filter(dedupe_key__startswith=f"fb-remind-{peer.pk}-")
        assert reminders.count() == 3
        gaps = sorted((e.run_after - peer.invited_at).days for e in reminders)
        assert gaps == [3, 6, 9]


def test_reminders_stop_after_three_and_respect_the_preference(scene):
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle)
    with tenant_context(scene.org):
        peer = RaterRequest.objects.filter(relationship="peer").first()
        mail.outbox.clear()
        for n in range(1, 6):
            notifications.send_rater_reminder(scene.org, peer.pk, n)
        assert len(mail.outbox) == 3
        peer.refresh_from_db()
        assert peer.reminders_sent == 3
        manager_request = RaterRequest.objects.get(participant=participant, relationship="manager")
        scene.manager.user.email_reminders = False
        scene.manager.user.save()
        mail.outbox.clear()
        notifications.send_rater_reminder(scene.org, manager_request.pk, 1)
        assert mail.outbox == []


def test_invitation_states_who_sees_what(scene):
    cycle = launch(scene)
    nominate_and_approve(scene, cycle)
    with tenant_context(scene.org):
        mail.outbox.clear()
        peer = RaterRequest.objects.filter(relationship="peer").first()
        manager = RaterRequest.objects.get(relationship="manager")
        notifications.send_rater_invitation(scene.org, peer.pk)
        notifications.send_rater_invitation(scene.org, manager.pk)
    peer_mail, manager_mail = mail.outbox
    assert "at least 3 of a group answered" in peer_mail.body
    assert "/r/360/" in peer_mail.body
    assert "as your manager's" in manager_mail.body


def test_answers_are_appended_facts_and_the_latest_is_in_force(scene):
    cycle = launch(scene)
    nominate_and_approve(scene, cycle)
    today = timezone.localdate()
    with tenant_context(scene.org):
        peer = (
            RaterRequest.objects.filter(relationship="peer")
            .select_related("participant__cycle")
            .first()
        )
        item = Item.objects.filter(cycle=cycle).first()
        services.do_save_answers(peer, {item.pk: 2}, {}, submit=False, today=today)
        services.do_save_answers(peer, {item.pk: 2}, {}, submit=False, today=today)  # unchanged
        services.do_save_answers(peer, {item.pk: None}, {}, submit=False, today=today)
        assert list(Answer.objects.filter(request=peer).values_list("score", flat=True)) == [
            2,
            None,
        ]
        assert services.current_answers(peer)[0] == {item.pk: None}
        with pytest.raises(services.FeedbackError, match="Answer every statement"):
            services.do_save_answers(peer, {}, {}, submit=True, today=today)
        peer.refresh_from_db()
        assert peer.status == RaterRequest.Status.INVITED


def test_it_refuses_answers_outside_the_scale(scene):
    with pytest.raises(services.FeedbackError) as exc:
        services.parse_scores({7: "6"}, [7])
    assert exc.value.field == "item_7"
    with pytest.raises(services.FeedbackError):
        services.parse_scores({7: "abc"}, [7])
    assert services.parse_scores({7: "na", 8: "5", 9: ""}, [7, 8, 9]) == {7: None, 8: 5}


def test_one_submission_per_link_and_none_after_the_window_or_decline(scene):
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle)
    answer_all(scene, participant, lambda r, i: 4, groups=("peer",))
    with tenant_context(scene.org):
        peer = (
            RaterRequest.objects.filter(relationship="peer")
            .select_related("participant__cycle")
            .first()
        )
        with pytest.raises(services.LinkInvalid) as exc:
            services.do_save_answers(peer, {}, {}, submit=True, today=timezone.localdate())
        assert exc.value.reason == "used"
        manager = RaterRequest.objects.select_related("participant__cycle").get(
            relationship="manager"
        )
        late = cycle.responses_close_on + dt.timedelta(days=1)
        with pytest.raises(services.LinkInvalid) as exc:
            services.do_save_answers(manager, {}, {}, submit=False, today=late)
        assert exc.value.reason == "closed"
        services.do_decline(manager, timezone.localdate())
        manager.refresh_from_db()
        assert manager.status == RaterRequest.Status.DECLINED
        with pytest.raises(services.LinkInvalid):
            services.check_can_answer(manager, timezone.localdate())


def test_tokens_name_org_and_request_and_refuse_tampering_and_expiry(scene):
    cycle = launch(scene)
    nominate_and_approve(scene, cycle)
    with tenant_context(scene.org):
        peer = RaterRequest.objects.filter(relationship="peer").first()
        token = services.make_token(peer)
    assert services.read_token(token) == (scene.org.pk, peer.pk)
    with pytest.raises(services.LinkInvalid) as exc:
        services.read_token(token[:-2] + "xx")
    assert exc.value.reason == "forged"
    forged = TimestampSigner(salt="other").sign(f"{scene.org.pk}:{peer.pk}")
    with pytest.raises(services.LinkInvalid):
        services.read_token(forged)
    with freeze_time(timezone.now() + services.TOKEN_MAX_AGE + dt.timedelta(days=1)):
        with pytest.raises(services.LinkInvalid) as exc:
            services.read_token(token)
    assert exc.value.reason == "expired"


def test_closing_freezes_reports_and_recomputing_changes_nothing(scene):
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle, peers=3)
    answer_all(scene, participant, lambda r, i: 4 if r.relationship != "self" else 5)
    (report,) = close_and_compute(scene, cycle)
    frozen = report.data
    with tenant_context(scene.org):
        assert services.do_close_cycle(cycle) is False  # compare-and-set: once
        assert services.do_compute_reports(scene.org, cycle.pk) == 0
        # A straggler cannot answer a closed cycle ...
        straggler = (
            RaterRequest.objects.select_related("participant__cycle")
            .filter(participant=participant, status=RaterRequest.Status.SUBMITTED)
            .first()
        )
        RaterRequest.objects.filter(pk=straggler.pk).update(status=RaterRequest.Status.INVITED)
        straggler.refresh_from_db()
        with pytest.raises(services.LinkInvalid):
            services.do_save_answers(straggler, {}, {}, submit=True, today=timezone.localdate())
        # ... and even an answer written behind the services' back leaves the report as it was.
        Answer.objects.create(
            request=straggler, item=Item.objects.filter(cycle=cycle).first(), score=1
        )
        assert services.do_compute_reports(scene.org, cycle.pk) == 0
        assert Report.objects.get(pk=report.pk).data == frozen
        assert Report.objects.count() == 1


def test_the_daily_job_closes_due_cycles_and_sends_pulses(scene):
    cycle = launch(scene, pulse_every_weeks=4)
    participant = nominate_and_approve(scene, cycle, peers=3)
    answer_all(scene, participant, lambda r, i: 2 + i.position % 3)
    after_window = cycle.responses_close_on + dt.timedelta(days=1)
    with tenant_context(scene.org):
        assert services.do_close_due_cycles(after_window) == [cycle.pk]
        services.do_compute_reports(scene.org, cycle.pk)
        cycle.refresh_from_db()
        closed_on = timezone.localdate(cycle.closed_at)
        assert services.do_send_due_pulses(closed_on + dt.timedelta(weeks=3)) == 0
        assert services.do_send_due_pulses(closed_on + dt.timedelta(weeks=4)) == 1
        assert services.do_send_due_pulses(closed_on + dt.timedelta(weeks=5)) == 0  # same pulse
        pulse_requests = RaterRequest.objects.filter(pulse__isnull=False)
        assert sorted(pulse_requests.values_list("relationship", flat=True)) == [
            "manager",
            "peer",
            "peer",
            "peer",
        ]
        pulse = pulse_requests.first().pulse
        report = Report.objects.get(cycle=cycle)
        assert pulse.item_ids == report.data["lowest"][: services.PULSE_ITEMS]
        assert Relationship.SELF not in pulse_requests.values_list("relationship", flat=True)
