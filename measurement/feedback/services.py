"""Every write of 360 feedback. ``check_*`` validates and authorises; ``do_*`` writes in a
transaction and records follow-up work (e-mails, report computation) in the outbox.

All functions run inside ``tenant_context`` (the request's, or the rater link's).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from competencies.models import BehaviouralIndicator
from measurement.feedback import reporting
from measurement.feedback.models import (
    DEFAULT_ANCHORS,
    NOMINATED_GROUPS,
    SCALE_MAX,
    SCALE_MIN,
    Answer,
    Comment,
    CompetencyScore,
    Cycle,
    Item,
    Participant,
    Pulse,
    RaterRequest,
    Relationship,
    Report,
)
from organizations.audit import record_change
from organizations.models import Membership, Organization
from organizations.outbox.delivery import record_followup
from pathways.models import Cohort, Enrollment

TOKEN_SALT = "feedback.rater-link"
# A link outlives any response window; the window itself is checked on every use.
TOKEN_MAX_AGE = dt.timedelta(days=120)
REMINDER_EVERY = dt.timedelta(days=3)
MAX_REMINDERS = 3
MAX_MANAGERS = 2
PULSE_ITEMS = 3
PULSE_OPEN_DAYS = 10

NOTIFY = "measurement.feedback.notifications"


class FeedbackError(Exception):
    """A rule of 360 feedback refused the change; ``field`` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- launching a cycle ---------------------------------------------------------------------


@dataclass(frozen=True)
class CycleSpec:
    title: str
    kind: str
    cohort_id: int
    nominations_close_on: dt.date
    responses_close_on: dt.date
    competency_ids: Sequence[int] = ()
    baseline_id: int | None = None
    question_1: str = ""
    question_2: str = ""
    min_per_group: int = 3
    recommended_per_group: int = 5
    max_per_group: int = 10
    pulse_every_weeks: int | None = None


def check_launch_cycle(actor: Membership, spec: CycleSpec, today: dt.date) -> Cycle | None:
    """Validate a launch; returns the baseline for a follow-up. Raises ``FeedbackError``."""
    if not actor.is_admin:
        raise FeedbackError("Only an HR admin can launch a 360 cycle.")
    if not Cohort.objects.filter(pk=spec.cohort_id).exists():
        raise FeedbackError("Choose a cohort of this organisation.", "cohort")
    if spec.nominations_close_on < today:
        raise FeedbackError("Nominations cannot close in the past.", "nominations_close_on")
    if spec.responses_close_on <= spec.nominations_close_on:
        raise FeedbackError("Answers must close after nominations close.", "responses_close_on")
    if not spec.min_per_group <= spec.recommended_per_group <= spec.max_per_group:
        raise FeedbackError(
            "Raters per group must run minimum ≤ recommended ≤ maximum.", "min_per_group"
        )
    baseline = None
    if spec.kind == Cycle.Kind.FOLLOW_UP:
        baseline = Cycle.objects.filter(
            pk=spec.baseline_id or 0, kind=Cycle.Kind.BASELINE, cohort_id=spec.cohort_id
        ).first()
        if baseline is None:
            raise FeedbackError("A follow-up needs a baseline of the same cohort.", "baseline")
        if baseline.status != Cycle.Status.CLOSED:
            raise FeedbackError("Close the baseline before launching its follow-up.", "baseline")
    else:
        if not spec.competency_ids:
            raise FeedbackError("Choose at least one competency.", "competencies")
        found = BehaviouralIndicator.objects.filter(competency_id__in=spec.competency_ids)
        if not found.exists():
            raise FeedbackError(
                "The chosen competencies have no behavioural indicators to rate.", "competencies"
            )
    return baseline


def do_launch_cycle(actor: Membership, spec: CycleSpec, today: dt.date) -> Cycle:
    """Create the cycle, its items (copied from the baseline for a follow-up), a participant
    per active learner of the cohort with their self request and proposed manager, and e-mail
    each learner to nominate raters."""
    baseline = check_launch_cycle(actor, spec, today)
    with transaction.atomic():
        cycle = Cycle.objects.create(
            cohort_id=spec.cohort_id,
            kind=spec.kind,
            baseline=baseline,
            title=spec.title,
            nominations_close_on=spec.nominations_close_on,
            responses_close_on=spec.responses_close_on,
            min_per_group=spec.min_per_group,
            recommended_per_group=spec.recommended_per_group,
            max_per_group=spec.max_per_group,
            question_1=baseline.question_1 if baseline else spec.question_1,
            question_2=baseline.question_2 if baseline else spec.question_2,
            anchors=baseline.anchors if baseline else list(DEFAULT_ANCHORS),
            pulse_every_weeks=spec.pulse_every_weeks if baseline is None else None,
        )
        if baseline is not None:
            items = [
                Item(
                    cycle=cycle,
                    indicator_id=i.indicator_id,
                    competency_id=i.competency_id,
                    competency_name=i.competency_name,
                    text=i.text,
                    position=i.position,
                )
                for i in baseline.items.all()
            ]
        else:
            indicators = (
                BehaviouralIndicator.objects.filter(competency_id__in=spec.competency_ids)
                .select_related("competency")
                .order_by("competency__position", "competency__name", "position", "id")
            )
            items = [
                Item(
                    cycle=cycle,
                    indicator=ind,
                    competency=ind.competency,
                    competency_name=ind.competency.name,
                    text=ind.text,
                    position=n,
                )
                for n, ind in enumerate(indicators)
            ]
        for item in items:
            item.organization_id = cycle.organization_id
        Item.objects.bulk_create(items)
        learners = (
            Enrollment.objects.filter(cohort_id=spec.cohort_id, status=Enrollment.Status.ACTIVE)
            .select_related("learner__user", "learner__manager__user")
            .order_by("learner_id")
        )
        for enrollment in learners:
            learner = enrollment.learner
            participant = Participant.objects.create(cycle=cycle, learner=learner)
            RaterRequest.objects.create(
                participant=participant,
                relationship=Relationship.SELF,
                rater=learner,
                email=learner.user.email,
                name=learner.user.display_name,
                status=RaterRequest.Status.INVITED,
                invited_at=timezone.now(),
            )
            if learner.manager is not None and learner.manager.is_active:
                RaterRequest.objects.create(
                    participant=participant,
                    relationship=Relationship.MANAGER,
                    rater=learner.manager,
                    email=learner.manager.user.email,
                    name=learner.manager.user.display_name,
                )
            record_followup(
                f"{NOTIFY}.send_nomination_request",
                participant.pk,
                dedupe_key=f"fb-nominate-{participant.pk}",
            )
    return cycle


# --- nominations ---------------------------------------------------------------------------


def _group_counts(participant: Participant) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for rel in participant.requests.filter(pulse__isnull=True).values_list(
        "relationship", flat=True
    ):
        counts[rel] += 1
    return counts


def check_nominate(
    participant: Participant, actor: Membership, relationship: str, email: str
) -> None:
    if participant.learner_id != actor.pk:
        raise FeedbackError("Only the learner nominates their raters.")
    if participant.cycle.status == Cycle.Status.CLOSED:
        raise FeedbackError("This cycle is closed.")
    if participant.nominations == Participant.Nominations.APPROVED:
        raise FeedbackError("Your list is approved and the invitations are out.")
    if relationship not in NOMINATED_GROUPS:
        raise FeedbackError("Choose how this person works with you.", "relationship")
    address = email.strip().lower()
    if address == participant.learner.user.email.lower():
        raise FeedbackError(
            "You rate yourself in your own self-assessment; nominate someone else.", "email"
        )
    existing = participant.requests.filter(pulse__isnull=True, email__iexact=address).first()
    if existing is not None:
        raise FeedbackError(
            f"{address} is already nominated (as {existing.get_relationship_display()}); "
            "each person rates you once, in one group.",
            "email",
        )
    limit = (
        MAX_MANAGERS if relationship == Relationship.MANAGER else participant.cycle.max_per_group
    )
    if _group_counts(participant).get(relationship, 0) >= limit:
        raise FeedbackError(f"This group already has the maximum of {limit} raters.", "email")


def do_nominate(
    participant: Participant, actor: Membership, relationship: str, email: str, name: str = ""
) -> RaterRequest:
    """Add one rater to the learner's list (a member of the organisation is linked)."""
    check_nominate(participant, actor, relationship, email)
    address = email.strip().lower()
    member = (
        Membership.objects.filter(user__email__iexact=address, is_active=True)
        .select_related("user")
        .first()
    )
    try:
        with transaction.atomic():
            return RaterRequest.objects.create(
                participant=participant,
                relationship=relationship,
                rater=member,
                email=address,
                name=name.strip() or (member.user.display_name if member else ""),
            )
    except IntegrityError as exc:  # a concurrent nomination of the same address
        raise FeedbackError(f"{address} is already nominated.", "email") from exc


def do_remove_nomination(participant: Participant, actor: Membership, request_id: int) -> None:
    if participant.learner_id != actor.pk:
        raise FeedbackError("Only the learner changes their list.")
    if participant.nominations == Participant.Nominations.APPROVED:
        raise FeedbackError("Your list is approved and invitations are out.")
    participant.requests.filter(
        pk=request_id, pulse__isnull=True, status=RaterRequest.Status.NOMINATED
    ).exclude(relationship=Relationship.SELF).delete()


def nomination_problems(participant: Participant) -> list[str]:
    """What keeps a list from being submitted: minimums per group (empty list = fine)."""
    return nomination_problems_from_counts(
        _group_counts(participant), participant.cycle.min_per_group
    )


def nomination_problems_from_counts(counts: Mapping[str, int], minimum: int) -> list[str]:
    problems = []
    if counts.get(Relationship.MANAGER, 0) < 1:
        problems.append("Nominate your manager.")
    if counts.get(Relationship.PEER, 0) < minimum:
        problems.append(f"Nominate at least {minimum} peers.")
    for group, label in (
        (Relationship.DIRECT_REPORT, "direct reports"),
        (Relationship.OTHER, "others"),
    ):
        if 0 < counts.get(group, 0) < minimum:
            problems.append(
                f"Nominate at least {minimum} {label}, or none: fewer could not stay anonymous."
            )
    return problems


def do_submit_nominations(participant: Participant, actor: Membership) -> None:
    if participant.learner_id != actor.pk:
        raise FeedbackError("Only the learner submits their list.")
    problems = nomination_problems(participant)
    if problems:
        raise FeedbackError(" ".join(problems))
    with transaction.atomic():
        updated = Participant.objects.filter(
            pk=participant.pk, nominations=Participant.Nominations.DRAFT
        ).update(nominations=Participant.Nominations.SUBMITTED)
        if updated:
            record_followup(
                f"{NOTIFY}.send_approval_request",
                participant.pk,
                dedupe_key=f"fb-approve-{participant.pk}",
            )


def can_approve(participant: Participant, actor: Membership) -> bool:
    return actor.is_admin or (
        participant.learner.manager_id is not None and participant.learner.manager_id == actor.pk
    )


def do_approve_nominations(participant: Participant, actor: Membership) -> int:
    """Approve the list and invite every nominated rater; returns how many were invited."""
    if not can_approve(participant, actor):
        raise FeedbackError("Only the learner's manager or an HR admin approves this list.")
    if participant.cycle.status == Cycle.Status.CLOSED:
        raise FeedbackError("This cycle is closed.")
    with transaction.atomic():
        updated = Participant.objects.filter(
            pk=participant.pk, nominations=Participant.Nominations.SUBMITTED
        ).update(
            nominations=Participant.Nominations.APPROVED,
            approved_by=actor,
            approved_at=timezone.now(),
        )
        if not updated:
            raise FeedbackError("This list is not waiting for approval.")
        pending = list(
            participant.requests.filter(pulse__isnull=True, status=RaterRequest.Status.NOMINATED)
        )
        for request in pending:
            _invite(request)
    return len(pending)


def check_add_rater(
    participant: Participant,
    actor: Membership,
    relationship: str,
    email: str,
    today: dt.date,
) -> None:
    """An HR admin adds a rater to an approved list (a direct report the learner missed, say):
    the checks of a nomination, and the anonymity rules unchanged. Raises ``FeedbackError``."""
    cycle = participant.cycle
    if not actor.is_admin:
        raise FeedbackError("Only an HR admin adds a rater to an approved list.")
    if cycle.status == Cycle.Status.CLOSED:
        raise FeedbackError("This cycle is closed: its reports are computed and frozen.")
    if today > cycle.responses_close_on:
        raise FeedbackError("Answers for this cycle have closed; a new rater could not answer.")
    if participant.nominations != Participant.Nominations.APPROVED:
        raise FeedbackError(
            "This list is not approved yet: the learner adds raters until it is approved."
        )
    if relationship not in NOMINATED_GROUPS:
        raise FeedbackError("Choose how this person works with the learner.", "relationship")
    address = email.strip().lower()
    if address == participant.learner.user.email.lower():
        raise FeedbackError("The learner rates themself in their self-assessment.", "email")
    # An admin who rated a group they had filled up could tell the others' answers apart by
    # subtraction once the group crosses the anonymity threshold.
    if address == actor.user.email.lower():
        raise FeedbackError("You cannot add yourself as a rater.", "email")
    existing = participant.requests.filter(pulse__isnull=True, email__iexact=address).first()
    if existing is not None:
        raise FeedbackError(
            f"{address} is already on the list (as {existing.get_relationship_display()}); "
            "each person rates once, in one group.",
            "email",
        )
    count = _group_counts(participant).get(relationship, 0) + 1
    limit = MAX_MANAGERS if relationship == Relationship.MANAGER else cycle.max_per_group
    if count > limit:
        raise FeedbackError(f"This group already has the maximum of {limit} raters.", "email")
    # An anonymous group has none, or at least the minimum: one rater alone in a new group
    # could never be shown, and the invitation would promise anonymity it cannot keep.
    if relationship != Relationship.MANAGER and count < cycle.min_per_group:
        label = Relationship(relationship).label
        raise FeedbackError(
            f"{label} would have {count} rater; an anonymous group needs at least "
            f"{cycle.min_per_group}. Add raters to a group that already has them.",
            "relationship",
        )


def do_add_rater(
    participant: Participant,
    actor: Membership,
    relationship: str,
    email: str,
    name: str = "",
    today: dt.date | None = None,
) -> RaterRequest:
    """Add a rater to an approved list and invite them: the request, its invitation and
    reminders (outbox) and the audit entry commit together. Locks the participant so two
    admins adding at once are checked one after the other."""
    today = today or timezone.localdate()
    with transaction.atomic():
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        check_add_rater(participant, actor, relationship, email, today)
        address = email.strip().lower()
        member = (
            Membership.objects.filter(user__email__iexact=address, is_active=True)
            .select_related("user")
            .first()
        )
        request = RaterRequest.objects.create(
            participant=participant,
            relationship=relationship,
            rater=member,
            email=address,
            name=name.strip() or (member.user.display_name if member else ""),
        )
        _invite(request)
        record_change(
            actor.user,
            "added rater",
            object_type="360 rater",
            object_id=request.pk,
            object_repr=f"{address} → {participant.learner.user.display_name}, "
            f"{participant.cycle.title}",
            after={"relationship": relationship, "email": address},
        )
    return request


def _invite(request: RaterRequest) -> None:
    now = timezone.now()
    RaterRequest.objects.filter(pk=request.pk).update(
        status=RaterRequest.Status.INVITED, invited_at=now
    )
    record_followup(
        f"{NOTIFY}.send_rater_invitation", request.pk, dedupe_key=f"fb-invite-{request.pk}"
    )
    for n in range(1, MAX_REMINDERS + 1):
        record_followup(
            f"{NOTIFY}.send_rater_reminder",
            request.pk,
            n,
            dedupe_key=f"fb-remind-{request.pk}-{n}",
            run_after=now + REMINDER_EVERY * n,
        )


# --- rater links ---------------------------------------------------------------------------


def make_token(request: RaterRequest) -> str:
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(f"{request.organization_id}:{request.pk}")


class LinkInvalid(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def read_token(token: str) -> tuple[int, int]:
    """(organisation id, request id) a rater link names; raises ``LinkInvalid``."""
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    try:
        value = signer.unsign(token, max_age=TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkInvalid("expired", "This feedback link has expired.") from exc
    except signing.BadSignature as exc:
        raise LinkInvalid(
            "forged", "This feedback link is not valid. Check that you copied the whole link."
        ) from exc
    org_id, _sep, request_id = value.partition(":")
    return int(org_id), int(request_id)


def window_closes_on(request: RaterRequest) -> dt.date:
    if request.pulse_id is not None:
        return request.pulse.closes_on  # type: ignore[union-attr]
    return request.participant.cycle.responses_close_on


def check_can_answer(request: RaterRequest, today: dt.date) -> None:
    """Raises ``LinkInvalid`` when this request can no longer take answers."""
    if request.status == RaterRequest.Status.SUBMITTED:
        raise LinkInvalid("used", "You have already sent this feedback. Thank you.")
    if request.status == RaterRequest.Status.DECLINED:
        raise LinkInvalid("declined", "You declined this request; nothing was recorded.")
    if request.status != RaterRequest.Status.INVITED:
        raise LinkInvalid("not-invited", "This request has not been sent yet.")
    if request.participant.cycle.status == Cycle.Status.CLOSED and request.pulse_id is None:
        raise LinkInvalid("closed", "This feedback round has closed; answers are no longer taken.")
    if today > window_closes_on(request):
        raise LinkInvalid("closed", "The window for answers has closed.")


def current_answers(request: RaterRequest) -> tuple[dict[int, int | None], dict[int, str]]:
    """The answers in force (latest row per item / question)."""
    scores: dict[int, int | None] = {}
    for item_id, score in request.answers.order_by("id").values_list("item_id", "score"):
        scores[item_id] = score
    comments: dict[int, str] = {}
    for question, text in request.comments.order_by("id").values_list("question", "text"):
        comments[question] = text
    return scores, comments


NOT_OBSERVED = "na"


def parse_scores(raw: Mapping[int, str], item_ids: Sequence[int]) -> dict[int, int | None]:
    """Turn posted values into scores; raises ``FeedbackError`` naming the item."""
    scores: dict[int, int | None] = {}
    for item_id in item_ids:
        value = (raw.get(item_id) or "").strip()
        if value == "":
            continue
        if value == NOT_OBSERVED:
            scores[item_id] = None
            continue
        try:
            number = int(value)
        except ValueError:
            number = -1
        if not SCALE_MIN <= number <= SCALE_MAX:
            raise FeedbackError(
                f"Choose a rating from {SCALE_MIN} to {SCALE_MAX}, or “not observed”.",
                f"item_{item_id}",
            )
        scores[item_id] = number
    return scores


def do_save_answers(
    request: RaterRequest,
    scores: Mapping[int, int | None],
    comments: Mapping[int, str],
    submit: bool,
    today: dt.date,
) -> None:
    """Append the changed answers (facts); with ``submit``, require every item answered
    (a rating or "not observed") and mark the request answered, once."""
    check_can_answer(request, today)
    item_ids = list(_request_item_ids(request))
    with transaction.atomic():
        locked = RaterRequest.objects.select_for_update().get(pk=request.pk)
        check_can_answer(locked, today)
        in_force, old_comments = current_answers(locked)
        Answer.objects.bulk_create(
            [
                Answer(organization_id=request.organization_id, request=locked, item_id=i, score=s)
                for i, s in scores.items()
                if i in item_ids and (i not in in_force or in_force[i] != s)
            ]
        )
        Comment.objects.bulk_create(
            [
                Comment(organization_id=request.organization_id, request=locked, question=q, text=t)
                for q, t in comments.items()
                if q in (1, 2) and old_comments.get(q, "") != t
            ]
        )
        if submit:
            answered = set(in_force) | set(scores)
            missing = [i for i in item_ids if i not in answered]
            if missing:
                raise FeedbackError(
                    "Answer every statement, or choose “not observed”, before sending.",
                    f"item_{missing[0]}",
                )
            RaterRequest.objects.filter(pk=locked.pk, status=RaterRequest.Status.INVITED).update(
                status=RaterRequest.Status.SUBMITTED, submitted_at=timezone.now()
            )


def _request_item_ids(request: RaterRequest) -> Sequence[int]:
    if request.pulse_id is not None:
        return list(request.pulse.item_ids)  # type: ignore[union-attr]
    return list(
        Item.objects.filter(cycle_id=request.participant.cycle_id).values_list("id", flat=True)
    )


def do_decline(request: RaterRequest, today: dt.date) -> None:
    check_can_answer(request, today)
    if request.relationship == Relationship.SELF:
        raise FeedbackError("Your self-assessment cannot be declined.")
    RaterRequest.objects.filter(pk=request.pk, status=RaterRequest.Status.INVITED).update(
        status=RaterRequest.Status.DECLINED, declined_at=timezone.now()
    )


def do_send_reminders_now(cycle: Cycle, actor: Membership) -> int:
    """Admin: remind every invited non-responder now (each at most ``MAX_REMINDERS`` times)."""
    if not actor.is_admin:
        raise FeedbackError("Only an HR admin sends reminders.")
    if cycle.status == Cycle.Status.CLOSED:
        raise FeedbackError("This cycle is closed.")
    pending = RaterRequest.objects.filter(
        participant__cycle=cycle,
        pulse__isnull=True,
        status=RaterRequest.Status.INVITED,
        reminders_sent__lt=MAX_REMINDERS,
    ).exclude(relationship=Relationship.SELF)
    stamp = timezone.now().strftime("%Y%m%d")
    count = 0
    with transaction.atomic():
        for request_id in pending.values_list("pk", flat=True):
            if record_followup(
                f"{NOTIFY}.send_rater_reminder",
                request_id,
                0,
                dedupe_key=f"fb-remind-now-{request_id}-{stamp}",
            ):
                count += 1
    return count


def do_close_nominations(cycle: Cycle, actor: Membership) -> None:
    if not actor.is_admin:
        raise FeedbackError("Only an HR admin closes nominations.")
    Cycle.objects.filter(pk=cycle.pk, status=Cycle.Status.NOMINATING).update(
        status=Cycle.Status.OPEN
    )


# --- closing and reports -------------------------------------------------------------------


def do_close_cycle(cycle: Cycle, actor: Membership | None = None) -> bool:
    """Close the cycle (compare-and-set) and record the report job; False if already closed."""
    if actor is not None and not actor.is_admin:
        raise FeedbackError("Only an HR admin closes a cycle.")
    with transaction.atomic():
        updated = (
            Cycle.objects.filter(pk=cycle.pk)
            .exclude(status=Cycle.Status.CLOSED)
            .update(status=Cycle.Status.CLOSED, closed_at=timezone.now())
        )
        if updated:
            record_followup(
                "measurement.feedback.tasks.compute_cycle_reports",
                cycle.pk,
                dedupe_key=f"fb-reports-{cycle.pk}",
            )
    return bool(updated)


def _responses_for(cycle: Cycle) -> dict[int, list[reporting.Response]]:
    """Submitted responses per participant, answers in force at the close (two queries)."""
    requests = {
        r.pk: r
        for r in RaterRequest.objects.filter(
            participant__cycle=cycle,
            pulse__isnull=True,
            status=RaterRequest.Status.SUBMITTED,
            submitted_at__lte=cycle.closed_at,
        )
    }
    scores: dict[int, dict[int, int | None]] = defaultdict(dict)
    for request_id, item_id, score in (
        Answer.objects.filter(request_id__in=requests, created_at__lte=cycle.closed_at)
        .order_by("id")
        .values_list("request_id", "item_id", "score")
    ):
        scores[request_id][item_id] = score
    texts: dict[int, dict[int, str]] = defaultdict(dict)
    for request_id, question, text in (
        Comment.objects.filter(request_id__in=requests, created_at__lte=cycle.closed_at)
        .order_by("id")
        .values_list("request_id", "question", "text")
    ):
        texts[request_id][question] = text
    out: dict[int, list[reporting.Response]] = defaultdict(list)
    for pk, r in requests.items():
        out[r.participant_id].append(
            reporting.Response(r.relationship, scores.get(pk, {}), texts.get(pk, {}))
        )
    return out


def _baseline_reliability(
    baseline: Cycle,
) -> tuple[dict[int, dict[int, float]], dict[int, reporting.ReliabilityParams]]:
    """Baseline others' means per learner and the RCI parameters from the baseline's data."""
    per_learner: dict[int, dict[int, float]] = defaultdict(dict)
    per_competency: dict[int, list[float]] = defaultdict(list)
    for learner_id, cid, mean in CompetencyScore.objects.filter(
        cycle=baseline, others_mean__isnull=False
    ).values_list("learner_id", "competency_id", "others_mean"):
        if mean is None:
            continue
        per_learner[learner_id][cid] = mean
        per_competency[cid].append(mean)
    items = list(baseline.items.all())
    by_competency: dict[int, list[int]] = defaultdict(list)
    for item in items:
        by_competency[item.competency_id].append(item.id)
    matrices: dict[int, list[list[float]]] = defaultdict(list)
    if baseline.closed_at is not None:
        for responses in _responses_for(baseline).values():
            for response in responses:
                if response.group == "self":
                    continue
                for cid, ids in by_competency.items():
                    row = [response.scores.get(i) for i in ids]
                    if all(v is not None for v in row):
                        matrices[cid].append([float(v) for v in row])  # type: ignore[arg-type]
    return per_learner, reporting.reliability_from_baseline(per_competency, matrices)


def competency_scores(report: Report) -> list[CompetencyScore]:
    """The frozen per-competency scores of a report just computed, one row per competency of
    ``report.data`` (unsaved). The one builder of these rows: reports frozen here and the
    demo's bulk reports (``measurement.feedback.demo``) both use it."""
    return [
        CompetencyScore(
            organization_id=report.organization_id,
            report=report,
            cycle_id=report.cycle_id,
            learner_id=report.learner_id,
            competency_id=c["competency_id"],
            self_score=c["self"],
            others_mean=c["others_mean"],
            others_n=c["others_n"],
            change=c["change"],
            rci=c["rci"],
            reading=c["reading"],
        )
        for c in report.data["competencies"]
    ]


def do_compute_reports(org: Organization, cycle_id: int) -> int:
    """Compute and freeze the report of every participant of a closed cycle that has none yet.

    Safe to run twice: an existing report is never recomputed (frozen). Returns how many were
    created.
    """
    from measurement.growth.services import queue_growth_rollup

    cycle = Cycle.objects.filter(pk=cycle_id, status=Cycle.Status.CLOSED).first()
    if cycle is None:
        return 0
    items = [
        reporting.ItemDef(i.pk, i.competency_id, i.competency_name, i.text)
        for i in cycle.items.all()
    ]
    questions = {n: q for n, q in ((1, cycle.question_1), (2, cycle.question_2)) if q}
    responses = _responses_for(cycle)
    baselines: dict[int, dict[int, float]] = {}
    params: dict[int, reporting.ReliabilityParams] = {}
    if cycle.baseline_id is not None:
        baselines, params = _baseline_reliability(cycle.baseline)  # type: ignore[arg-type]
    done = set(Report.objects.filter(cycle=cycle).values_list("participant_id", flat=True))
    created = 0
    for participant in cycle.participants.exclude(pk__in=done).order_by("pk"):
        data = reporting.compute_report(
            org,
            items,
            responses.get(participant.pk, []),
            questions,
            salt=f"{org.pk}:{participant.pk}",
            baseline=baselines.get(participant.learner_id, {}) if cycle.baseline_id else None,
            reliability=params,
        )
        with transaction.atomic():
            try:
                with transaction.atomic():
                    report = Report.objects.create(
                        participant=participant,
                        cycle=cycle,
                        learner_id=participant.learner_id,
                        data=data,
                    )
            except IntegrityError:
                continue  # computed concurrently: the first one stands
            CompetencyScore.objects.bulk_create(competency_scores(report))
            record_followup(
                f"{NOTIFY}.send_report_ready", report.pk, dedupe_key=f"fb-report-{report.pk}"
            )
            # The frozen scores are facts of the learner's growth: their roll-up, with them.
            queue_growth_rollup([participant.learner_id])
        created += 1
    return created


def do_share_report(report: Report, actor: Membership, shared: bool) -> None:
    if report.learner_id != actor.pk:
        raise FeedbackError("Only the learner decides who sees their report.")
    Report.objects.filter(pk=report.pk).update(shared_with_coach=shared)


def do_mark_report_read(report: Report, actor: Membership) -> None:
    if report.learner_id == actor.pk and report.read_at is None:
        Report.objects.filter(pk=report.pk, read_at__isnull=True).update(read_at=timezone.now())


def do_close_due_cycles(today: dt.date) -> list[int]:
    """Close every cycle whose answer window has passed; returns their ids."""
    closed = []
    for cycle in Cycle.objects.exclude(status=Cycle.Status.CLOSED).filter(
        responses_close_on__lt=today
    ):
        if do_close_cycle(cycle):
            closed.append(cycle.pk)
    return closed


# --- pulses --------------------------------------------------------------------------------


def do_send_due_pulses(today: dt.date) -> int:
    """Start the pulses that are due: for each participant of a closed baseline with a pulse
    schedule and no closed follow-up, one pulse every ``pulse_every_weeks`` after the close, on
    the (up to three) items the baseline rated lowest, to the manager and the peers who
    answered the baseline. Returns how many pulses were started."""
    started = 0
    cycles = Cycle.objects.filter(
        kind=Cycle.Kind.BASELINE, status=Cycle.Status.CLOSED, pulse_every_weeks__isnull=False
    ).exclude(follow_ups__status=Cycle.Status.CLOSED)
    for cycle in cycles:
        assert cycle.closed_at is not None and cycle.pulse_every_weeks is not None
        weeks = (today - timezone.localdate(cycle.closed_at)).days // 7
        number = weeks // cycle.pulse_every_weeks
        if number < 1:
            continue
        reports = {
            r.participant_id: r.data
            for r in Report.objects.filter(cycle=cycle).only("participant_id", "data")
        }
        existing = set(
            Pulse.objects.filter(participant__cycle=cycle, number=number).values_list(
                "participant_id", flat=True
            )
        )
        for participant in cycle.participants.exclude(pk__in=existing):
            data = reports.get(participant.pk)
            item_ids = list(data["lowest"][:PULSE_ITEMS]) if data else []
            if not item_ids:
                continue
            raters = list(
                participant.requests.filter(
                    pulse__isnull=True,
                    status=RaterRequest.Status.SUBMITTED,
                    relationship__in=[Relationship.MANAGER, Relationship.PEER],
                )
            )
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        pulse = Pulse.objects.create(
                            participant=participant,
                            number=number,
                            item_ids=item_ids,
                            sent_on=today,
                            closes_on=today + dt.timedelta(days=PULSE_OPEN_DAYS),
                        )
                except IntegrityError:
                    continue
                for r in raters:
                    request = RaterRequest.objects.create(
                        participant=participant,
                        pulse=pulse,
                        relationship=r.relationship,
                        rater=r.rater,
                        email=r.email,
                        name=r.name,
                        status=RaterRequest.Status.INVITED,
                        invited_at=timezone.now(),
                    )
                    record_followup(
                        f"{NOTIFY}.send_rater_invitation",
                        request.pk,
                        dedupe_key=f"fb-invite-{request.pk}",
                    )
            started += 1
    return started
