"""Progress roll-up benchmark: the organisation's roll-up and one learner's, each against the
bare SQL that computes the same figures from the same facts, side by side in one run
(interleaved rounds, medians, after ANALYZE), printed as a ratio.

"Bare" is the per-enrolment figures (steps owed after personalisation and elective choices,
steps done, steps overdue, completion) computed by one ``SELECT`` over the facts and fetched:
nothing written, no team figure. For one learner it is the same statement for their
enrolments; "bare + team read" adds the read of their team's learner rows that an aggregate of
the team's figure reads (the learner's roll-up adjusts the team's row by the learner's change
instead, and reads those rows only where the row cannot be trusted: a team with no row for the
month, the organisation's roll-up pending, a past month). The plain aggregates (one ``GROUP BY`` per fact table the rule reads, fetched) are
printed too, as the floor of reading those facts at all.

One learner's roll-up is timed twice: committed as a fact's transaction is (waiting for the
WAL flush), and as its outbox delivery commits it (``delivery.defer_commit_flush``: the handler
writes derived rows only, so a commit lost to a crash of the server loses the row's done mark
with it and the row is delivered again); the second is how it runs in service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from bench.impact import _ms, _rounds
from measurement.models import LearnerProgressRollup, TeamProgressRollup
from measurement.services import (
    COHORT_ROLLUP_HANDLER,
    ROLLUP_DEBOUNCE_SECONDS,
    deliver_cohort_rollup,
    do_rollup_learner_progress,
    do_rollup_progress,
    period_for,
)
from organizations.models import Membership, Organization
from organizations.outbox import delivery
from organizations.outbox.models import OutboxEntry
from organizations.relative_dates import org_today
from organizations.tenancy import tenant_context
from pathways.models import (
    ElectiveChoice,
    Enrollment,
    PersonalisationRule,
    SelfAssessment,
    Step,
    StepCompletion,
)
from pathways.queries import enrollment_progress

ORG = "acme"
REPEAT = 9  # rounds of the organisation's roll-up (each about a tenth of a second)
REPEAT_ONE = 41  # rounds of one learner's (each a few milliseconds)

_TEAM_READ = """
SELECT team_id, COUNT(*), SUM(CASE WHEN lowest >= 1.0 THEN 1 ELSE 0 END), AVG(completion)
FROM (SELECT team_id, learner_id, AVG(completion) AS completion, MIN(completion) AS lowest
      FROM {rollup} WHERE organization_id = %s AND period = %s AND team_id = %s
      GROUP BY team_id, learner_id) l
GROUP BY team_id
"""


def _plain_aggregates(org_id: int) -> None:
    """One GROUP BY per fact table the rule reads, rows fetched."""
    queries = [
        Enrollment.objects.filter(learner__is_active=True)
        .exclude(status=Enrollment.Status.WITHDRAWN)
        .values("version_id", "cohort_id", "learner__team_id")
        .annotate(n=Count("id")),
        StepCompletion.objects.values("enrollment_id").annotate(n=Count("id")),
        ElectiveChoice.objects.values("enrollment_id").annotate(n=Count("id")),
        SelfAssessment.objects.values("enrollment_id").annotate(n=Count("id")),
        Step.objects.values("version_id", "elective_group_id").annotate(
            n=Count("id"), due=Count("id", filter=Q(due_offset_days__isnull=False))
        ),
        PersonalisationRule.objects.values("step_id").annotate(n=Count("id")),
    ]
    for query in queries:
        list(query)


_COHORT_READ = """
SELECT cohort_id, COUNT(*), SUM(CASE WHEN steps_done = 0 THEN 1 ELSE 0 END), SUM(steps_done),
       SUM(steps_total), SUM(steps_overdue), SUM(CASE WHEN steps_overdue > 0 THEN 1 ELSE 0 END),
       MAX(computed_at)
FROM {rollup} WHERE organization_id = %s AND period = %s AND cohort_id = %s
GROUP BY cohort_id
"""


@contextmanager
def _as_with_a_broker() -> Iterator[None]:
    """Follow-ups recorded as a deployment with a broker records them (in the fact's
    transaction, debounced per window) but not delivered in process: the cohort rows a learner's
    roll-up queues are aggregated later, once per cohort and window, whatever the number of
    learners' roll-ups in it (measured on their own below). Without a broker the bench would
    charge every learner's roll-up with its cohort's aggregation."""
    eager, queue = settings.CELERY_TASK_ALWAYS_EAGER, delivery._queue_delivery
    settings.CELERY_TASK_ALWAYS_EAGER = False
    delivery._queue_delivery = lambda *args: None  # the publish to the broker
    try:
        yield
    finally:
        settings.CELERY_TASK_ALWAYS_EAGER, delivery._queue_delivery = eager, queue


def _vacuum() -> None:
    """What autovacuum does on a live database between nightly runs: dead row versions of the
    roll-up tables cleared and statistics refreshed (PostgreSQL; outside a transaction)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"VACUUM ANALYZE {LearnerProgressRollup._meta.db_table}, "
            f"{TeamProgressRollup._meta.db_table}"
        )


def measure_progress_rollup() -> None:
    org = Organization.objects.get(slug=ORG)
    with tenant_context(org):
        learner = Membership.objects.get(user__email=f"learner@{ORG}.test")
        team_size = Membership.objects.filter(team_id=learner.team_id, is_active=True).count()
        do_rollup_progress(org)  # rows for the period exist before statistics are taken
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    period = period_for(org)
    rollup = LearnerProgressRollup._meta.db_table

    def tenant(run: Callable[[], object]) -> Callable[[], None]:
        def in_tenant() -> None:
            with tenant_context(org):
                run()

        return in_tenant

    bare = tenant(lambda: enrollment_progress(org.pk, org_today()))
    plain = tenant(lambda: _plain_aggregates(org.pk))
    full = tenant(lambda: do_rollup_progress(org))

    def empty_period() -> None:  # the first roll-up of a month: every row new
        with tenant_context(org):
            LearnerProgressRollup.objects.filter(period=period).delete()
        _vacuum()  # a new month's rows go into a table without this month's deleted rows

    def change_every_row() -> None:  # facts changed for everyone: every row rewritten
        with tenant_context(org):
            LearnerProgressRollup.objects.filter(period=period).update(steps_overdue=999)

    bare_one = tenant(lambda: enrollment_progress(org.pk, org_today(), [learner.pk]))

    def bare_one_and_team() -> None:
        with tenant_context(org):
            enrollment_progress(org.pk, org_today(), [learner.pk])
            with connection.cursor() as cursor:
                cursor.execute(_TEAM_READ.format(rollup=rollup), [org.pk, period, learner.team_id])
                cursor.fetchall()

    one = tenant(lambda: do_rollup_learner_progress(org, learner.pk))

    def one_delivered() -> None:  # as its outbox delivery runs it: the commit does not wait
        with tenant_context(org):  # for the WAL flush (the handler writes derived rows only)
            delivery.defer_commit_flush()
            do_rollup_learner_progress(org, learner.pk)

    def change_learner_row() -> None:  # a completed step: the learner's row changes
        with tenant_context(org):
            LearnerProgressRollup.objects.filter(period=period, learner=learner).update(
                steps_overdue=999
            )

    full()  # warm caches
    _vacuum()
    b, p, same, changed, fresh = _rounds(
        [(bare, None), (plain, None), (full, None), (full, change_every_row), (full, empty_period)],
        REPEAT,
    )
    with tenant_context(org):
        result = do_rollup_progress(org)
    print(
        f"progress roll-up ({result.learners:,} enrolments, {result.teams} teams, "
        f"{timezone.now():%b %Y}), best / median of {REPEAT}:"
    )
    print(f"  plain aggregates of the facts it reads        {_ms(p)}")
    print(f"  bare SQL: every enrolment's figures           {_ms(b)}")
    print(
        f"  full, facts unchanged (nothing written)       {_ms(same)}   "
        f"ratio {same[1] / b[1]:4.2f}x"
    )
    print(
        f"  full, every row changed (all rewritten)       {_ms(changed)}   "
        f"ratio {changed[1] / b[1]:4.2f}x"
    )
    print(
        f"  full, into an empty period (a new month)      {_ms(fresh)}   "
        f"ratio {fresh[1] / b[1]:4.2f}x"
    )

    with tenant_context(org):
        cohort_id = (
            LearnerProgressRollup.objects.filter(period=period, learner=learner)
            .exclude(cohort_id=None)
            .values_list("cohort_id", flat=True)
            .first()
        )
        assert cohort_id is not None, "the demo learner is enrolled in a cohort"
        cohort_size = LearnerProgressRollup.objects.filter(
            period=period, cohort_id=cohort_id
        ).count()

    def bare_cohort() -> None:
        with tenant_context(org), connection.cursor() as cursor:
            cursor.execute(_COHORT_READ.format(rollup=rollup), [org.pk, period, cohort_id])
            cursor.fetchall()

    cohort = tenant(lambda: deliver_cohort_rollup(org, cohort_id, period.isoformat()))

    _vacuum()  # the rounds above rewrote every row several times
    with _as_with_a_broker():
        one()  # warm
        b1, bt, one_same, one_changed, sent_same, sent_changed, bc, cohort_row = _rounds(
            [
                (bare_one, None),
                (bare_one_and_team, None),
                (one, None),
                (one, change_learner_row),
                (one_delivered, None),
                (one_delivered, change_learner_row),
                (bare_cohort, None),
                (cohort, None),
            ],
            REPEAT_ONE,
        )
    with tenant_context(org):  # the rows the rounds queued, never delivered
        OutboxEntry.objects.filter(handler=COHORT_ROLLUP_HANDLER, done_at__isnull=True).delete()
    print(
        f"one learner's roll-up (the demo learner, a team of {team_size:,}), "
        f"best / median of {REPEAT_ONE}:"
    )
    print(f"  bare SQL: the learner's figures               {_ms(b1)}")
    print(f"  bare SQL + the read of their team's rows      {_ms(bt)}")
    print(
        f"  roll-up, their row changed (a completed step) {_ms(one_changed)}   "
        f"ratio {one_changed[1] / b1[1]:4.2f}x (vs + team read {one_changed[1] / bt[1]:4.2f}x)"
    )
    print(
        f"  roll-up, facts unchanged                      {_ms(one_same)}   "
        f"ratio {one_same[1] / b1[1]:4.2f}x (vs + team read {one_same[1] / bt[1]:4.2f}x)"
    )
    print(
        "  (as its outbox delivery commits it: a handler of derived rows only does not wait for "
        "the WAL flush)"
    )
    print(
        f"  delivered, their row changed                  {_ms(sent_changed)}   "
        f"ratio {sent_changed[1] / b1[1]:4.2f}x (vs + team read {sent_changed[1] / bt[1]:4.2f}x)"
    )
    print(
        f"  delivered, facts unchanged                    {_ms(sent_same)}   "
        f"ratio {sent_same[1] / b1[1]:4.2f}x (vs + team read {sent_same[1] / bt[1]:4.2f}x)"
    )
    print(
        f"  (with a broker: the roll-up's transaction records its cohort's row as due, once a "
        f"{ROLLUP_DEBOUNCE_SECONDS} s window; that row, aggregated once per window:)"
    )
    print(f"  bare SQL: the cohort's figures ({cohort_size:,} rows)   {_ms(bc)}")
    print(
        f"  cohort row refreshed (the queued follow-up)   {_ms(cohort_row)}   "
        f"ratio {cohort_row[1] / bc[1]:4.2f}x"
    )
