"""What the benchmark measures; imported by bench/run.py after Django is set up."""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from bench.run import summarise
from organizations.models import Membership, Organization, User
from organizations.tenancy import tenant_context
from pathways.models import (
    Enrollment,
    Module,
    RetrievalItem,
    RetrievalOption,
    ReviewCard,
    Step,
    StepCompletion,
)

ORG = "acme"


def add_learners(n: int) -> None:
    """``n`` more learners in the demo organisation, as ``seed_demo`` makes its learners: spread
    over the demo teams, enrolled in the running cohort of the demo learner, each with varied
    progress through its open steps. Bulk inserts only (idempotent): what seed_demo spends
    hours on at 5,000 learners on PostgreSQL is the 360 and coaching demo of every learner,
    which no roll-up measured here reads for the running cohort."""
    org = Organization.objects.get(slug=ORG)
    t0 = time.perf_counter()
    with tenant_context(org):
        demo = Membership.objects.get(user__email=f"learner@{ORG}.test")
        enrollment = (
            Enrollment.objects.select_related("cohort", "version")
            .filter(learner=demo, cohort__start_date__lte=timezone.localdate())
            .order_by("-cohort__start_date")
            .first()
        )
        assert enrollment is not None, "seed_demo enrols the demo learner in a running cohort"
        cohort, version = enrollment.cohort, enrollment.version
        teams = list(
            Membership.objects.filter(is_learner=True, team__isnull=False)
            .values_list("team_id", flat=True)
            .distinct()
            .order_by("team_id")
        )
        emails = [f"bench-learner{i:05d}@{ORG}.test" for i in range(n)]
        User.objects.bulk_create(
            [
                User(email=e, full_name=f"Bench Learner {i}", password="!")
                for i, e in enumerate(emails)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
        Membership.objects.bulk_create(
            [
                Membership(
                    organization_id=org.pk,
                    user_id=users[e],
                    is_learner=True,
                    team_id=teams[i % len(teams)],
                )
                for i, e in enumerate(emails)
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        learners = list(
            Membership.objects.filter(user__email__in=emails).values_list("pk", "user__email")
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(organization_id=org.pk, cohort=cohort, learner_id=pk, version=version)
                for pk, _email in learners
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        today = timezone.localdate()
        open_steps = [
            s
            for s in Step.objects.filter(version=version).order_by("position")
            if cohort.start_date + dt.timedelta(days=s.available_offset_days) <= today
        ]
        now = timezone.now()
        facts = []
        for e_pk, learner_pk, email in Enrollment.objects.filter(
            cohort=cohort, learner__user__email__in=emails
        ).values_list("pk", "learner_id", "learner__user__email"):
            local = random.Random(f"{ORG}-{email}")
            done = min(len(open_steps), int(local.triangular(0, len(open_steps) + 1, 3)))
            facts += [
                StepCompletion(
                    organization_id=org.pk,
                    enrollment_id=e_pk,
                    learner_id=learner_pk,
                    step_key=step.key,
                    completed_at=now - dt.timedelta(days=done - offset),
                )
                for offset, step in enumerate(open_steps[:done])
            ]
        StepCompletion.objects.bulk_create(facts, batch_size=2000, ignore_conflicts=True)
        total = Membership.objects.filter(is_learner=True).count()
    print(
        f"bulk learners: {n} more in {len(teams)} teams, enrolled in {cohort.name} "
        f"({total} learners in {ORG}; {time.perf_counter() - t0:.1f} s)"
    )


def add_library_and_cards(n_modules: int) -> None:
    """Published modules with one multiple-choice item each; a due card per item for the demo
    learner, so the review page has a real backlog."""
    org = Organization.objects.get(slug=ORG)
    t0 = time.perf_counter()
    with tenant_context(org):
        existing = Module.objects.count()
        Module.objects.bulk_create(
            [
                Module(
                    organization_id=org.pk,
                    title=f"Benchmark module {i:03d}",
                    summary="A short practical module used to size the library.",
                    body="Practice the skill at work this week.",
                    minutes=5 + i % 10,
                    status=Module.Status.PUBLISHED,
                )
                for i in range(max(0, n_modules - existing))
            ],
            batch_size=500,
        )
        modules = list(Module.objects.order_by("pk"))
        items = RetrievalItem.objects.bulk_create(
            [
                RetrievalItem(
                    organization_id=org.pk, module=m, prompt=f"What is the key idea of {m.title}?"
                )
                for m in modules
                if not m.retrieval_items.exists()
            ],
            batch_size=500,
        )
        RetrievalOption.objects.bulk_create(
            [
                RetrievalOption(
                    organization_id=org.pk, item=item, text=text, is_correct=ok, position=p
                )
                for item in items
                for p, (text, ok) in enumerate(
                    [("The right answer", True), ("A distractor", False)]
                )
            ],
            batch_size=1000,
        )
        learner = Membership.objects.get(user__email=f"learner@{ORG}.test")
        now = timezone.now()
        ReviewCard.objects.bulk_create(
            [
                ReviewCard(organization_id=org.pk, learner=learner, item=item, due=now)
                for item in RetrievalItem.objects.all()
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        cards = ReviewCard.objects.filter(learner=learner).count()
    print(
        f"library: {len(modules)} modules, {cards} review cards for the demo learner "
        f"({time.perf_counter() - t0:.1f} s)"
    )


# Learners a coach looks after in a programme of the demo organisation's size: its coaches
# made up to one for this many (seed_demo makes two), so that each holds a coach's year.
LEARNERS_A_COACH = 100


def add_coaching_history(sessions: int) -> int:
    """``sessions`` more held 1:1 sessions in the demo organisation's past year, as a programme
    of its size keeps them (seed_demo makes a few dozen): shared round robin by its coaches,
    made up to one for ``LEARNERS_A_COACH`` learners (400 sessions each at 5,000 learners and
    four sessions a learner: eight a week), each with one attended learner, round robin too.
    Coach home's lists read only the coach's scheduled sessions of this week and those not
    yet logged; the history is there so that a read which walks a coach's or the
    organisation's sessions shows it. Bulk inserts only; returns how many sessions the
    organisation holds."""
    from coaching.models import CoachingSession, SessionParticipant

    org = Organization.objects.get(slug=ORG)
    t0 = time.perf_counter()
    with tenant_context(org):
        learners = list(
            Membership.objects.filter(is_learner=True).order_by("pk").values_list("pk", flat=True)
        )
        coaches = Membership.objects.filter(is_coach=True, is_active=True)
        wanted = len(learners) // LEARNERS_A_COACH - coaches.count()
        emails = [f"bench-coach{i:03d}@{ORG}.test" for i in range(max(0, wanted))]
        User.objects.bulk_create(
            [
                User(email=e, full_name=f"Bench Coach {i}", password="!")
                for i, e in enumerate(emails)
            ],
            ignore_conflicts=True,
        )
        Membership.objects.bulk_create(
            [
                Membership(organization_id=org.pk, user=user, is_coach=True)
                for user in User.objects.filter(email__in=emails)
            ],
            ignore_conflicts=True,
        )
        coach_ids = list(coaches.order_by("pk").values_list("pk", flat=True))
        start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
        held = CoachingSession.objects.bulk_create(
            [
                CoachingSession(
                    organization_id=org.pk,
                    coach_id=coach_ids[i % len(coach_ids)],
                    title="Coaching conversation",
                    starts_at=start - dt.timedelta(days=1 + i % 365, hours=i % 8),
                    minutes=45,
                    status=CoachingSession.Status.HELD,
                    logged_at=start - dt.timedelta(days=i % 365),
                )
                for i in range(sessions)
            ],
            batch_size=2000,
        )
        SessionParticipant.objects.bulk_create(
            [
                SessionParticipant(
                    organization_id=org.pk,
                    session=session,
                    learner_id=learners[i % len(learners)],
                    attendance=SessionParticipant.Attendance.ATTENDED,
                )
                for i, session in enumerate(held)
            ],
            batch_size=2000,
        )
        total = CoachingSession.objects.count()
    print(
        f"coaching history: {sessions} more held sessions for {len(coach_ids)} coaches "
        f"({total} in {ORG}; {time.perf_counter() - t0:.1f} s)"
    )
    return total


def _time_page(client: Client, url: str, repeat: int) -> tuple[list[float], int]:
    client.get(url)  # warm caches, template loading
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    # Counted like the tests count them: statements that read or write data, not the tenant
    # set_config call nor transaction control (BEGIN, SAVEPOINT, RELEASE, COMMIT).
    queries = [
        q
        for q in ctx.captured_queries
        if not re.search(r"set_config\('app\.", q["sql"])
        and not re.match(r"(BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)\b", q["sql"])
    ]
    return timings, len(queries)


def measure_pages(repeat: int) -> None:
    org = Organization.objects.get(slug=ORG)
    pages: list[tuple[str, str, Callable[[], str]]] = [
        ("learner home", f"learner@{ORG}.test", lambda: reverse("org_home", args=[ORG])),
        ("review page", f"learner@{ORG}.test", lambda: reverse("review_session", args=[ORG])),
        ("sponsor home", f"sponsor@{ORG}.test", lambda: reverse("org_home", args=[ORG])),
        ("admin home", f"admin@{ORG}.test", lambda: reverse("org_home", args=[ORG])),
        ("impact (sponsor)", f"sponsor@{ORG}.test", lambda: reverse("sponsor_home", args=[ORG])),
        ("impact set-up", f"admin@{ORG}.test", lambda: reverse("impact_setup", args=[ORG])),
    ]
    from bench.impact import team_manager_email

    manager = team_manager_email()
    if manager:
        pages.append(("my teams (manager)", manager, lambda: reverse("team_dashboard", args=[ORG])))
    print(f"pages ({org.name}, one process, in-process client):")
    for name, email, url in pages:
        try:
            path = url()
        except NoReverseMatch:
            print(f"{name:<22} (no such page in this build)")
            continue
        client = Client()
        client.force_login(User.objects.get(email=email))
        timings, queries = _time_page(client, path, repeat)
        summarise(name, timings, queries)
