"""360 feedback seen from elsewhere: the learner's next step, the read contracts, the frozen
report over time, and the cohort picture's 5-people cells."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from measurement.feedback import queries, services
from measurement.feedback.models import Pulse, RaterRequest, Report
from organizations.models import Membership, Organization, Team
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, enroll, make_member
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
    participant_of,
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def kinds(scene, member):
    with tenant_context(scene.org):
        return [
            a.kind for a in queries.next_actions_for(member, scene.org.slug, timezone.localdate())
        ]


def test_the_next_step_knows_nominate_approve_rate_yourself_and_read(scenes):
    a, b = scenes
    cycle = launch(a)
    assert kinds(a, a.learner) == ["nominate_raters", "rate_yourself"]
    assert kinds(b, b.learner) == []  # the other organisation has no cycle
    participant = participant_of(a, cycle)
    with tenant_context(a.org):
        for i in range(3):
            services.do_nominate(participant, a.learner, "peer", f"p{i}@x.example")
        services.do_submit_nominations(participant, a.learner)
    assert kinds(a, a.manager) == ["approve_raters"]
    assert kinds(a, a.learner) == ["rate_yourself"]
    with tenant_context(a.org):
        participant.refresh_from_db()
        services.do_approve_nominations(participant, a.manager)
    answer_all(a, participant, lambda r, i: 4)
    assert kinds(a, a.learner) == []
    (report,) = close_and_compute(a, cycle)
    assert kinds(a, a.learner) == ["read_report"]
    with tenant_context(a.org):
        services.do_mark_report_read(report, a.learner)
    assert kinds(a, a.learner) == []


def test_next_actions_run_one_query_whatever_the_number_of_cycles(scenes):
    a, _b = scenes
    launch(a)
    with tenant_context(a.org), count_queries() as one:
        queries.next_actions_for(a.learner, a.org.slug, timezone.localdate())
    launch(a, title="another")
    launch(a, title="a third")
    with tenant_context(a.org), count_queries() as three:
        got = queries.next_actions_for(a.learner, a.org.slug, timezone.localdate())
    assert len(got) == 6
    assert len(one.app_queries) == len(three.app_queries) == 1


def test_contracts_read_frozen_reports_with_change_and_rci(scenes):
    a, b = scenes
    baseline = launch(a)
    participant = nominate_and_approve(a, baseline, peers=3)
    answer_all(a, participant, lambda r, i: 2 if r.relationship != "self" else 4)
    close_and_compute(a, baseline)
    with tenant_context(a.org):
        means = queries.baseline_others_means(a.learner.pk)
    assert set(means) == set(a.competency_ids) and all(
        m == pytest.approx(2.0) for m in means.values()
    )
    follow_up = launch(a, kind="follow_up", baseline=baseline, competency_ids=[])
    participant = nominate_and_approve(a, follow_up, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    close_and_compute(a, follow_up)
    with tenant_context(a.org):
        facts = queries.competency_score_facts([a.fixture.cohort.pk])
    assert {f.kind for f in facts} == {"baseline", "follow_up"}
    later = [f for f in facts if f.kind == "follow_up"]
    assert all(f.change == pytest.approx(2.0) for f in later)
    # default sd .5 and reliability .85: RCI = 2 / (sqrt(2) * .5 * sqrt(.15))
    assert all(f.rci == pytest.approx(2 / (2**0.5 * 0.5 * 0.15**0.5)) for f in later)
    assert all(f.reading == "reliable improvement" for f in later)
    assert all(f.others_n == 4 and f.self_score == pytest.approx(4.0) for f in later)
    with tenant_context(b.org):
        assert queries.competency_score_facts([a.fixture.cohort.pk]) == []


def test_a_frozen_report_ignores_later_changes_to_the_rules(scenes):
    """Freezing: recomputing must not rewrite a report, even when the threshold changes."""
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    (report,) = close_and_compute(a, cycle)
    peer = next(g for g in report.data["groups"] if g["group"] == "peer")
    assert peer["shown"]
    Organization.objects.filter(pk=a.org.pk).update(anonymity_threshold=4)
    a.org.refresh_from_db()
    with tenant_context(a.org):
        services.do_compute_reports(a.org, cycle.pk)
        assert Report.objects.get(pk=report.pk).data == report.data


def test_no_report_exists_before_the_close_so_two_views_cannot_be_subtracted(scenes):
    """Across time: nothing is shown while answers arrive, and a closed cycle takes none."""
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=4)
    answer_all(a, participant, lambda r, i: 4, groups=("self", "manager", "peer"))
    with tenant_context(a.org):
        assert not Report.objects.exists()
        assert queries.competency_score_facts([a.fixture.cohort.pk]) == []
    close_and_compute(a, cycle)
    with tenant_context(a.org):
        late = RaterRequest.objects.select_related("participant__cycle").get(
            participant=participant,
            relationship="peer",
            status="submitted",
            email="peer0@outside.example",
        )
        RaterRequest.objects.filter(pk=late.pk).update(status=RaterRequest.Status.INVITED)
        late.refresh_from_db()
        with pytest.raises(services.LinkInvalid):
            services.check_can_answer(late, timezone.localdate())


def test_an_open_pulse_is_never_shown_only_closed_ones(scenes):
    a, _b = scenes
    cycle = launch(a, pulse_every_weeks=4)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 3)
    close_and_compute(a, cycle)
    with tenant_context(a.org):
        cycle.refresh_from_db()
        start = timezone.localdate(cycle.closed_at) + dt.timedelta(weeks=4)
        services.do_send_due_pulses(start)
        pulse = Pulse.objects.get()
        for request in RaterRequest.objects.filter(pulse=pulse).select_related(
            "participant__cycle", "pulse"
        ):
            services.do_save_answers(
                request, dict.fromkeys(pulse.item_ids, 4), {}, submit=True, today=start
            )
        assert queries.pulse_trends(participant, pulse.closes_on, a.org) == []
        trends = queries.pulse_trends(participant, pulse.closes_on + dt.timedelta(days=1), a.org)
        assert len(trends) == len(pulse.item_ids)
        # manager 4 and 3 peers 4: both groups shown, mean 4 with 4 raters
        assert trends[0].points == [(1, start, 4.0, 4)]


def test_the_cohort_picture_needs_five_learners_per_cell(scenes):
    a, _b = scenes
    with tenant_context(a.org):
        north = Team.objects.create(name="North")
        south = Team.objects.create(name="South")
        west = Team.objects.create(name="West")
        Membership.objects.filter(pk=a.learner.pk).update(team=north)
    members = [a.learner]
    for i, team in enumerate([north] * 5 + [south] * 3 + [west] * 5):
        m = make_member(a.org, f"c{i}@acme.example", team=team, is_learner=True)
        with tenant_context(a.org):
            Membership.objects.filter(pk=m.pk).update(manager=a.manager)
        enroll(a.org, a.fixture, m)
        members.append(m)
    cycle = launch(a)
    for member in members:
        scene = type(a)(a.org, a.admin, member, a.manager, a.fixture, a.competency_ids)
        participant = nominate_and_approve(scene, cycle, peers=3)
        answer_all(scene, participant, lambda r, i: 3)
    close_and_compute(a, cycle)
    with tenant_context(a.org):
        cycle.refresh_from_db()
        rows = queries.cohort_summary(cycle)
    row = rows[0]
    assert row.people == 14 and row.mean == pytest.approx(3.0)
    cells = {c.team: c for c in row.teams}
    assert cells["South"].mean is None  # 3 learners
    # North (6) and West (5) are both big enough, but South alone hidden would be the total
    # minus the others: the smaller of them is hidden too.
    assert cells["West"].mean is None and cells["North"].mean == pytest.approx(3.0)


def test_the_daily_task_closes_a_due_cycle_and_the_outbox_freezes_its_reports(
    scenes, django_capture_on_commit_callbacks
):
    from freezegun import freeze_time

    from measurement.feedback import tasks

    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    other = launch(b)
    with freeze_time(cycle.responses_close_on + dt.timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.fan_out_daily_feedback.apply().get() == 2
    with tenant_context(a.org):
        cycle.refresh_from_db()
        assert cycle.status == "closed"
        assert Report.objects.filter(cycle=cycle).count() == 1
    with tenant_context(b.org):
        other.refresh_from_db()
        assert other.status == "closed" and Report.objects.filter(cycle=other).count() == 1
