"""The demo's bulk path: for a large organisation seed_demo bulk-inserts every learner's 360
but the hand-made few. Its rows must be the ones the services write: the same requests and
statuses, answers, frozen reports and pulses, drawn from the same random numbers."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.utils import timezone

from competencies.demo import seed_framework
from competencies.models import Competency
from measurement.feedback import services
from measurement.feedback.demo import (
    _age,
    _run,
    _send_pulses_in_bulk,
    close_and_freeze,
    launch,
)
from measurement.feedback.models import (
    Answer,
    Comment,
    CompetencyScore,
    Cycle,
    Item,
    Participant,
    Pulse,
    RaterRequest,
    Report,
)
from measurement.models import LearnerCompetencyRollup
from organizations.demo import ensure_org, seed_people
from organizations.models import AuditEntry, Organization
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from pathways.demo import seed_pathways


def _facts(cycle: Cycle) -> list[tuple]:
    """Every fact of a cycle, by learner, without ids and timestamps."""
    out = []
    position = dict(Item.objects.filter(cycle=cycle).values_list("id", "position"))
    for p in Participant.objects.filter(cycle=cycle).order_by("learner_id"):
        requests = []
        for r in RaterRequest.objects.filter(participant=p).order_by("id"):
            answers = list(
                Answer.objects.filter(request=r)
                .order_by("id")
                .values_list("item__position", "score")
            )
            comments = list(
                Comment.objects.filter(request=r).order_by("id").values_list("question", "text")
            )
            pulse = r.pulse
            requests.append(
                (
                    r.relationship,
                    r.email,
                    r.name,
                    r.rater_id,
                    r.status,
                    r.invited_at is not None,
                    r.submitted_at is not None,
                    (pulse.number, [position[i] for i in pulse.item_ids], pulse.sent_on)
                    if pulse
                    else None,
                    answers,
                    comments,
                )
            )
        out.append((p.learner_id, p.nominations, p.approved_by_id, requests))
    return out


def _reports(cycle: Cycle) -> list[tuple]:
    out = []
    for report in Report.objects.filter(cycle=cycle).order_by("learner_id"):
        data = dict(report.data)
        # Comments are shown in an order salted by the participant (anonymity): compare them
        # as a set; item ids differ between the two cycles: compare by position.
        comments = data.pop("comments", None)
        scores = list(
            CompetencyScore.objects.filter(report=report)
            .order_by("competency_id")
            .values_list(
                "competency_id", "self_score", "others_mean", "others_n", "change", "rci", "reading"
            )
        )
        out.append((report.learner_id, _without_ids(data), repr(sorted(repr(comments))), scores))
    return out


def _without_ids(value):
    if isinstance(value, dict):
        return {
            k: _without_ids(v)
            for k, v in value.items()
            if k not in {"item_id", "lowest", "highest"}
        }
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


@pytest.mark.django_db
def test_the_bulk_path_writes_what_the_services_write():
    org = ensure_org("acme", "Acme Manufacturing", "Europe/London")
    today = timezone.localdate()
    with tenant_context(org):
        seed_framework(org)
        people = seed_people(org, 8, random.Random("acme"))
        cohort = seed_pathways(people, random.Random("acme"))
        by_service = replace(people, hand_made=frozenset(m.pk for m in people.learners))
        in_bulk = replace(people, hand_made=frozenset())
        competency_ids = list(
            Competency.objects.filter(indicators__isnull=False)
            .distinct()
            .order_by("position", "name")
            .values_list("pk", flat=True)[:4]
        )
        skill = {m.pk: random.Random(m.pk).uniform(2.4, 3.8) for m in people.learners}

        def spec(title: str, **more) -> services.CycleSpec:
            return services.CycleSpec(
                title=title,
                cohort_id=cohort.pk,
                nominations_close_on=today,
                responses_close_on=today + dt.timedelta(days=14),
                question_1="What should this person keep doing?",
                question_2="What one thing would make them more effective?",
                **more,
            )

        baselines = []
        for who in (by_service, in_bulk):
            cycle = launch(
                who,
                spec(
                    f"Baseline {len(baselines)}",
                    kind=Cycle.Kind.BASELINE,
                    competency_ids=competency_ids,
                    pulse_every_weeks=6,
                ),
                today,
            )
            _run(who, cycle, random.Random(1), skill, everyone_answers=True)
            baselines.append(cycle)
        service_baseline, bulk_baseline = baselines
        assert _facts(service_baseline) == _facts(bulk_baseline)
        assert any(f[1] == "approved" for f in _facts(bulk_baseline))

        services.do_close_cycle(service_baseline)
        services.do_compute_reports(org, service_baseline.pk)
        close_and_freeze(in_bulk, bulk_baseline)
        assert _reports(service_baseline) == _reports(bulk_baseline)
        assert len(_reports(bulk_baseline)) == len(people.learners)

        for cycle in baselines:
            _age(cycle, dt.timedelta(weeks=8))
        _send_pulses_in_bulk(in_bulk, bulk_baseline, today)
        assert Pulse.objects.filter(participant__cycle=bulk_baseline).exists()
        services.do_send_due_pulses(today)  # starts the service baseline's pulses
        assert _facts(service_baseline) == _facts(bulk_baseline)

        # The follow-up: some raters never answer, the demo learner's list stays a draft and
        # the admin adds a rater after approval (through the service, audited).
        follow_ups = []
        for who, baseline in ((by_service, service_baseline), (in_bulk, bulk_baseline)):
            cycle = launch(
                who,
                spec(
                    f"Follow-up {len(follow_ups)}",
                    kind=Cycle.Kind.FOLLOW_UP,
                    baseline_id=baseline.pk,
                ),
                today,
            )
            _run(who, cycle, random.Random(2), skill, everyone_answers=False)
            follow_ups.append(cycle)
        assert _facts(follow_ups[0]) == _facts(follow_ups[1])
        assert AuditEntry.objects.filter(action="added rater").count() == 2
        services.do_close_cycle(follow_ups[0])
        services.do_compute_reports(org, follow_ups[0].pk)
        close_and_freeze(in_bulk, follow_ups[1])
        assert _reports(follow_ups[0]) == _reports(follow_ups[1])
        readings = set(
            CompetencyScore.objects.filter(cycle=follow_ups[1]).values_list("reading", flat=True)
        )
        assert "within measurement error" in readings


def _state(org: Organization) -> tuple:
    with tenant_context(org):
        return (
            Cycle.objects.count(),
            Participant.objects.count(),
            Report.objects.count(),
            RaterRequest.objects.count(),
            Answer.objects.count(),
            Pulse.objects.count(),
            LearnerCompetencyRollup.objects.count(),
        )


@pytest.mark.django_db(transaction=False)
def test_seed_demo_bulk_inserts_a_large_organisation_idempotently():
    call_command("seed_demo", "--learners", "120", "--bulk-threshold", "10")
    for slug in ("acme", "globex"):
        org = Organization.objects.get(slug=slug)
        with tenant_context(org):
            running = Cycle.objects.exclude(cohort__status="finished")
            baseline = running.get(kind="baseline")
            # Every learner of the running cohort has a frozen baseline report and a pulse;
            # every learner has growth roll-up rows.
            assert Report.objects.filter(cycle=baseline).count() == 121
            assert Pulse.objects.filter(participant__cycle=baseline).count() == 121
            assert not OutboxEntry.objects.filter(handler__startswith="measurement.feedback.")
            assert services.do_compute_reports(org, baseline.pk) == 0  # nothing left to freeze
            assert LearnerCompetencyRollup.objects.values("learner_id").distinct().count() >= 121
    before = [_state(o) for o in Organization.objects.order_by("slug")]
    call_command("seed_demo", "--learners", "120", "--bulk-threshold", "10")
    assert [_state(o) for o in Organization.objects.order_by("slug")] == before


def test_seed_demo_refuses_a_negative_bulk_threshold(capsys):
    with pytest.raises(SystemExit):
        call_command("seed_demo", "--bulk-threshold", "-1")
    assert "--bulk-threshold must be zero or more." in capsys.readouterr().err
