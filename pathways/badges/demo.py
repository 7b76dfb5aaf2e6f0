"""Demo badges: one demo learner per organisation has finished the pathway, so the badge pages,
the public verification URLs and the API have something real to show."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from pathways import services
from pathways.badges.services import do_issue_badge
from pathways.models import BadgeAssertion, Enrollment, Step

FINISHER_LOCAL_PART = "learner00001"  # the first of the bulk learners (seed_people)


def seed_badges(slug: str) -> int:
    """Must run inside tenant_context(org). Finishes the pathway of ``learner00001@<slug>.test``
    through the real service (which issues the badge) and gives any other finished enrolment
    its badge. Idempotent: completions and badges are recorded once. Returns the badges."""
    enrollment = (
        Enrollment.objects.filter(learner__user__email=f"{FINISHER_LOCAL_PART}@{slug}.test")
        .select_related("learner")
        .first()
    )
    if enrollment is not None and enrollment.status == Enrollment.Status.ACTIVE:
        steps = Step.objects.filter(version_id=enrollment.version_id).order_by(
            "stage__position", "position", "pk"
        )
        for step in steps:
            if step.module_id is not None:
                # Taking a module leaves its "opened" fact first, as in the browser (and as the
                # learning demo gives every other taken module), so a second run adds none.
                services.do_record_module_opened(enrollment.learner, step.module_id)
            try:
                services.do_complete_step(enrollment.learner, enrollment.pk, step.pk)
            except ValidationError:
                break  # a step that is not open yet: the pathway stays unfinished
    finished = Enrollment.objects.filter(status=Enrollment.Status.COMPLETED).exclude(
        pk__in=BadgeAssertion.objects.values("enrollment_id")
    )
    for other in finished.select_related("version"):
        do_issue_badge(other)
    return BadgeAssertion.objects.count()
