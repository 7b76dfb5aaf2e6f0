"""Business rules of spaced retrieval practice: grading, recording reviews, daily reminders.

Reviews are scheduled by FSRS (``scheduling``) and also feed Elo/BKT (``pathways.adaptive``).
Each rendered card carries a signed ticket with a one-time token and the moment it was shown;
the token makes a repeated submit (double click, retry, refresh) a no-op that returns the first
result.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fsrs import Rating

from organizations.models import Membership, Organization, User
from organizations.relative_dates import zone_named
from organizations.tenancy import current_org, tenant_context
from pathways.adaptive import AnswerSource, do_record_outcomes
from pathways.models import MasteryEvidence, ReviewCard, ReviewLog
from pathways.models.practice import PracticeReminder
from pathways.practice import queries
from pathways.practice.scheduling import learner_programme_days, schedule_review, scheduler_for
from pathways.scenarios.queries import competencies_of_item

logger = logging.getLogger(__name__)

TICKET_SALT = "pathways.practice.review-ticket"
# A right answer given within 20 s counts as fluent recall (Good); slower means the learner had
# to work it out (Hard). Twenty seconds is enough to read a two-line question and four options
# on a phone and still be fluent; FSRS then spaces fluent answers further apart.
SLOW_ANSWER_MS = 20_000
# Durations come from a server-signed "shown at" time, but a card left open during a meeting
# would log an hour of "review"; five minutes is more than any honest single review needs.
MAX_DURATION_MS = 5 * 60 * 1000
# Web workers' clocks can differ by a little; a negative elapsed time becomes zero.
MIN_DURATION_MS = 0

# Reminders go out from 08:00 local time. The window is two hours wide so that the next hourly
# run still delivers when one run was missed (worker restart) or the zone is offset by :30/:45.
REMINDER_HOUR = 8
REMINDER_WINDOW = dt.timedelta(hours=2)


# --- tickets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    token: str
    shown_at: dt.datetime


def issue_ticket(learner: Membership, card_id: int, now: dt.datetime | None = None) -> str:
    """A signed, one-time ticket for rendering ``card_id`` to ``learner`` at ``now``."""
    now = now or timezone.now()
    payload = {
        "l": learner.pk,
        "c": card_id,
        "t": secrets.token_urlsafe(24),
        "s": int(now.timestamp() * 1000),
    }
    return signing.dumps(payload, salt=TICKET_SALT, compress=True)


def check_ticket(ticket: str, learner: Membership, card_id: int) -> Ticket:
    """The token and shown-at time of a ticket issued to ``learner`` for ``card_id``."""
    problem = ValidationError(
        _("This review form could not be checked. The card has been loaded again: answer it."),
        code="bad_ticket",
    )
    try:
        payload = signing.loads(ticket, salt=TICKET_SALT)
    except signing.BadSignature as exc:
        raise problem from exc
    if not isinstance(payload, dict) or payload.get("l") != learner.pk:
        raise problem
    if payload.get("c") != card_id or not isinstance(payload.get("t"), str):
        raise problem
    shown_at = dt.datetime.fromtimestamp(int(payload["s"]) / 1000, tz=dt.UTC)
    return Ticket(token=payload["t"], shown_at=shown_at)


def review_duration_ms(shown_at: dt.datetime, answered_at: dt.datetime) -> int:
    """Milliseconds from showing to answering, clamped to [MIN_DURATION_MS, MAX_DURATION_MS]."""
    elapsed = int((answered_at - shown_at) / dt.timedelta(milliseconds=1))
    return max(MIN_DURATION_MS, min(MAX_DURATION_MS, elapsed))


# --- grading -------------------------------------------------------------------------------


def grade_multiple_choice(correct: bool, duration_ms: int) -> Rating:
    """Wrong is Again; right and quick is Good; right and slow (over SLOW_ANSWER_MS) is Hard."""
    if not correct:
        return Rating.Again
    return Rating.Hard if duration_ms > SLOW_ANSWER_MS else Rating.Good


def check_self_grade(rating: int | None) -> Rating:
    if rating not in (1, 2, 3, 4):
        raise ValidationError(
            {"rating": _("Choose how well you recalled it: Again, Hard, Good or Easy.")}
        )
    return Rating(rating)


# --- reviewing -----------------------------------------------------------------------------


@dataclass
class ReviewResult:
    card: queries.CardView
    rating: int
    rating_label: str
    correct: bool | None
    chosen_option_id: int | None
    reviewed_at: dt.datetime
    due: dt.datetime
    duration_ms: int | None
    replayed: bool  # True when this submit repeated one already recorded

    @property
    def seconds(self) -> int:
        return round((self.duration_ms or 0) / 1000)


def _result_from_log(
    log: ReviewLog, card: ReviewCard, view: queries.CardView, chosen: int | None, replayed: bool
) -> ReviewResult:
    # ``due_after`` is nullable in the table; a log without it shows the card's current due.
    due = log.due_after if log.due_after is not None else card.due
    return ReviewResult(
        card=view,
        rating=log.rating,
        rating_label=queries.rating_label(log.rating),
        correct=log.correct,
        chosen_option_id=chosen,
        reviewed_at=log.reviewed_at,
        due=due,
        duration_ms=log.duration_ms,
        replayed=replayed,
    )


def do_review(
    learner: Membership,
    card_id: int,
    *,
    ticket: str,
    option_id: int | None = None,
    rating: int | None = None,
    now: dt.datetime | None = None,
    fuzz: bool = True,
) -> ReviewResult:
    """Record one answer to the learner's card and reschedule it with FSRS.

    Multiple choice is graded from ``option_id`` and the time since the card was shown; free
    recall takes the learner's own ``rating`` (1 Again .. 4 Easy). Idempotent per ticket: a
    second call with the same ticket records nothing and returns the first result with
    ``replayed=True``. Raises ``ReviewCard.DoesNotExist`` for a card that is not the learner's
    and ``ValidationError`` for a bad ticket, a missing answer or a card that is not due.
    The card row is locked for the review, so concurrent submits are serialised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        card = (
            ReviewCard.objects.select_for_update(of=("self",))
            .select_related("item__module", "item__competency")
            .get(pk=card_id, learner=learner)
        )
        parsed = check_ticket(ticket, learner, card_id)
        options = queries.item_options(card.item_id)
        view = queries.card_view(card, options)
        chosen = option_id if view.is_multiple_choice else None

        existing = ReviewLog.objects.filter(token=parsed.token).first()
        if existing is not None:
            if existing.card_id != card.pk:
                raise ValidationError(_("This review form belongs to another card."))
            return _result_from_log(existing, card, view, chosen, replayed=True)

        if card.due > now:
            raise ValidationError(
                _("This card is not due until %(when)s; it was probably answered in another tab.")
                % {"when": date_format(timezone.localtime(card.due), "j M Y, H:i")},
                code="not_due",
            )
        duration = review_duration_ms(parsed.shown_at, now)
        if view.is_multiple_choice:
            picked = next((o for o in view.options if o.id == option_id), None)
            if picked is None:
                raise ValidationError({"option": _("Choose one of the answers.")})
            correct = picked.is_correct
            grade = grade_multiple_choice(correct, duration)
        else:
            grade = check_self_grade(rating)
            correct = grade != Rating.Again

        due_before = card.due
        org = current_org()
        if org is None or org.pk != learner.organization_id:
            raise ReviewCard.DoesNotExist
        scheduler = scheduler_for(org, learner_programme_days(learner), fuzz=fuzz)
        schedule_review(scheduler, card, grade, now, duration)
        try:
            with transaction.atomic():
                log = ReviewLog.objects.create(
                    card=card,
                    learner=learner,
                    token=parsed.token,
                    rating=int(grade),
                    correct=correct,
                    duration_ms=duration,
                    reviewed_at=now,
                    due_before=due_before,
                    due_after=card.due,
                )
        except IntegrityError:
            # Another request recorded this very ticket between our check and our insert.
            log = ReviewLog.objects.get(token=parsed.token)
            return _result_from_log(log, card, view, chosen, replayed=True)
        card.save(update_fields=["state", "step", "stability", "difficulty", "due", "last_review"])
        # The estimates and the growth page's ledger both follow the item's competencies now;
        # the ledger keeps them if the item is retagged later.
        source = AnswerSource(MasteryEvidence.Source.REVIEW, log.pk, log.reviewed_at)
        do_record_outcomes(learner, competencies_of_item(card.item), card.item, correct, source)
    return _result_from_log(log, card, view, chosen, replayed=False)


# --- reminder preferences ------------------------------------------------------------------


def check_time_zone(name: str) -> str:
    if name and name not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
    return name


def do_update_reminder_settings(user: User, *, email_reminders: bool, time_zone: str) -> User:
    """Save the user's reminder preference and time zone (they apply in every organisation)."""
    check_time_zone(time_zone)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(email_reminders=email_reminders, time_zone=time_zone)
        user.email_reminders = email_reminders
        user.time_zone = time_zone
    return user


# --- daily reminders -----------------------------------------------------------------------


def reminder_local_date(now: dt.datetime, time_zone: str) -> dt.date | None:
    """The local date whose reminder is due at ``now`` in ``time_zone``, or None when it is not
    between REMINDER_HOUR and REMINDER_HOUR + REMINDER_WINDOW there."""
    local = now.astimezone(zone_named(time_zone))
    opens = local.replace(hour=REMINDER_HOUR, minute=0, second=0, microsecond=0)
    if opens <= local < opens + REMINDER_WINDOW:
        return local.date()
    return None


@dataclass
class ClaimedReminder:
    marker_id: int
    email: str
    name: str
    due: int


def do_claim_reminders(org: Organization, now: dt.datetime) -> list[ClaimedReminder]:
    """Claim today's reminder for every learner of ``org`` (the current tenant) who wants one,
    has reviews due at ``now`` and for whom it is about 08:00 locally.

    Each claim inserts a ``PracticeReminder`` for (learner, local date); a learner who already
    has one is skipped, so retried or overlapping runs never claim twice. Call inside the tenant.
    """
    wanted = []
    for candidate in queries.reminder_candidates(now):
        local_date = reminder_local_date(now, candidate.time_zone or org.time_zone)
        if local_date is not None:
            wanted.append((candidate, local_date))
    if not wanted:
        return []
    already = set(
        PracticeReminder.objects.filter(
            learner_id__in=[c.learner_id for c, _d in wanted],
            local_date__in={d for _c, d in wanted},
        ).values_list("learner_id", "local_date")
    )
    claimed = []
    for candidate, local_date in wanted:
        if (candidate.learner_id, local_date) in already:
            continue
        try:
            with transaction.atomic():
                marker = PracticeReminder.objects.create(
                    learner_id=candidate.learner_id,
                    local_date=local_date,
                    due_count=candidate.due,
                    sent_at=now,
                )
        except IntegrityError:
            continue  # an overlapping run claimed this learner first
        claimed.append(
            ClaimedReminder(
                marker_id=marker.pk, email=candidate.email, name=candidate.name, due=candidate.due
            )
        )
    return claimed


def reminder_message(org: Organization, reminder: ClaimedReminder) -> EmailMultiAlternatives:
    base = settings.PATHWISE_BASE_URL
    context = {
        "org": org,
        "name": reminder.name,
        "due": reminder.due,
        "review_url": base + reverse("review_session", kwargs={"org_slug": org.slug}),
        "settings_url": base + reverse("practice_settings", kwargs={"org_slug": org.slug}),
    }
    subject = ngettext(
        "%(n)d review due on Pathwise (%(org)s)",
        "%(n)d reviews due on Pathwise (%(org)s)",
        reminder.due,
    ) % {"n": reminder.due, "org": org.name}
    return EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("pathways/practice/reminder_email.txt", context),
        to=[reminder.email],
    )


def deliver_reminders(org: Organization, reminders: list[ClaimedReminder]) -> int:
    """Send claimed reminders (after the claims committed); returns how many went out.

    A message that fails to send gives its claim back, so a later run in the window retries it.
    """
    sent = 0
    for reminder in reminders:
        try:
            reminder_message(org, reminder).send()
        except Exception:
            logger.exception("practice reminder to learner marker %s failed", reminder.marker_id)
            with tenant_context(org):
                PracticeReminder.objects.filter(pk=reminder.marker_id).delete()
        else:
            sent += 1
    return sent


def do_send_practice_reminders(org: Organization, now: dt.datetime | None = None) -> int:
    """Claim today's reminders for ``org`` and send them once the claims are committed.

    Runs inside the tenant (a ``TenantTask``); returns the number claimed.
    """
    now = now or timezone.now()
    claimed = do_claim_reminders(org, now)
    if claimed:
        transaction.on_commit(lambda: deliver_reminders(org, claimed))
    return len(claimed)
