"""The growth demo: the demo learner sees their baseline, pulse, observations, practice and
goals; the demo coach sees the pilot's pattern; seed_demo rolls it up and is idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from coaching.models import CoachingEngagement
from measurement.feedback.models import Cycle
from measurement.growth import queries
from measurement.models import LearnerCompetencyRollup, LearnerProgressRollup
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from pathways.models import Enrollment, Step, StepCompletion


def _state(org):
    with tenant_context(org):
        return (
            Cycle.objects.count(),
            CoachingEngagement.objects.count(),
            sorted(
                LearnerCompetencyRollup.objects.values_list(
                    "learner_id", "competency_id", "reading", "observations", "goals"
                )
            ),
        )


@pytest.mark.django_db(transaction=False)
def test_seed_demo_gives_the_learner_and_the_coach_a_real_picture():
    call_command("seed_demo", "--learners", "12")
    for slug in ("acme", "globex"):
        org = Organization.objects.get(slug=slug)
        with tenant_context(org):
            learner = Membership.objects.get(user__email=f"learner@{slug}.test")
            picture = queries.learner_growth(learner)
            assert picture.has_360 and picture.evidence_line
            assert "No follow-up 360 yet" in picture.headline
            assert "The latest pulse is up on" in picture.headline
            assert any(c.observations for c in picture.competencies)
            assert any(c.goals for c in picture.competencies)
            assert any(c.p_known is not None for c in picture.competencies)
            readings = set(LearnerCompetencyRollup.objects.values_list("reading", flat=True))
            assert {"reliable improvement", "within measurement error"} <= readings
            coach = Membership.objects.get(user__email=f"coach@{slug}.test")
            patterns = queries.coach_patterns(coach, None)
            assert patterns.selected is not None and patterns.coachees >= 5
            assert patterns.moving  # the pilot's 360 change shows, from enough coachees
            shared = [
                e
                for e in CoachingEngagement.objects.filter(
                    coach=coach, cohort_id=patterns.selected.id
                )
                if (g := queries.coachee_growth(coach, e.pk)) and g.has_360
            ]
            assert 0 < len(shared) < patterns.coachees  # some shared their reports, not all
            # A completed enrolment has done its pathway, as the product completes one only on
            # its last step: the pilot's learners are not shown with every step overdue.
            finished = list(Enrollment.objects.filter(status=Enrollment.Status.COMPLETED))
            assert len(finished) >= 5
            for enrollment in finished:
                owed = set(
                    Step.objects.filter(
                        version_id=enrollment.version_id, elective_group__isnull=True
                    ).values_list("key", flat=True)
                )
                done = StepCompletion.objects.filter(enrollment=enrollment)
                assert owed and owed <= set(done.values_list("step_key", flat=True))
                assert all(c.completed_at <= enrollment.completed_at for c in done)
            rows = LearnerProgressRollup.objects.filter(enrollment__in=finished)
            assert {r.enrollment_id for r in rows} == {e.pk for e in finished}
            assert all(r.steps_overdue == 0 and r.steps_done == r.steps_total for r in rows)
    before = [_state(o) for o in Organization.objects.order_by("slug")]
    call_command("seed_demo", "--learners", "12")
    assert [_state(o) for o in Organization.objects.order_by("slug")] == before
