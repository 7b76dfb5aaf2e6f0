"""Demo organisations and people for ``seed_demo``: idempotent, bulk inserts for large runs."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from organizations.models import Membership, Organization, Team, User

DEMO_PASSWORD = "pathwise-demo"
# An independent coach who works for both demo organisations: signing in shows the
# organisation picker, and the header's switcher moves between the two.
CONSULTANT_EMAIL = "consultant@pathwise.test"
DEMO_ORGS = [
    ("acme", "Acme Manufacturing", "Europe/London"),
    ("globex", "Globex Logistics", "America/New_York"),
]
TEAMS = [
    "Operations",
    "Sales",
    "Customer Success",
    "Engineering",
    "Finance",
    "People & Culture",
]
FIRST = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luca",
    "Maya",
    "Nico",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xavier",
    "Yara",
    "Zane",
]
LAST = [
    "Okafor",
    "Schmidt",
    "Nguyen",
    "Patel",
    "Rossi",
    "Haddad",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Murphy",
    "Adeyemi",
    "Larsen",
    "Costa",
    "Novak",
    "Ibrahim",
    "Moreau",
    "Dubois",
    "Fischer",
    "Reyes",
    "Khan",
]
TITLES = [
    "Team Lead",
    "Operations Manager",
    "Account Manager",
    "Engineering Manager",
    "Finance Business Partner",
    "Customer Success Lead",
    "Shift Supervisor",
    "Project Manager",
]
FUNCTIONS = {
    "Operations": "Operations",
    "Sales": "Commercial",
    "Customer Success": "Commercial",
    "Engineering": "Technology",
    "Finance": "Finance",
    "People & Culture": "HR",
}


@dataclass
class DemoPeople:
    org: Organization
    admin: Membership
    learner: Membership
    coach: Membership
    sponsor: Membership
    learners: list[Membership]
    teams: dict[str, Team]
    consultant: Membership | None = None
    # Learners whose facts go through the services (the demo's named people and the first
    # learners); every other learner's facts are bulk-inserted in the shapes the services write.
    hand_made: frozenset[int] = frozenset()

    def is_hand_made(self, membership_id: int) -> bool:
        return membership_id in self.hand_made


def refresh_statistics() -> None:
    """On PostgreSQL, ANALYZE after a bulk load, as autovacuum would on a live database: without
    fresh statistics the planner takes the just-filled tables for what they were before (one
    nested loop per row over 100,000 rater requests). Allowed inside the seed's transaction,
    and it sees that transaction's rows. Does nothing on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def ensure_org(slug: str, name: str, tz: str) -> Organization:
    org, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": name, "time_zone": tz})
    return org


# Learners (besides the demo logins) whose facts go through the services by default; the rest
# of a large organisation is bulk-inserted (``seed_demo --bulk-threshold``).
HAND_MADE_LEARNERS = 60


def seed_people(
    org: Organization,
    learners_count: int,
    rng: random.Random,
    hand_made: int = HAND_MADE_LEARNERS,
) -> DemoPeople:
    """Must run inside tenant_context(org). Creates teams, the four demo logins and learners.

    The demo learner and the first ``hand_made`` learners (by e-mail) are the hand-made part of
    the demo, whose facts the other seeders write through the services."""
    password_hash = make_password(DEMO_PASSWORD)
    teams = {}
    for name in TEAMS:
        teams[name], _ = Team.objects.get_or_create(name=name)

    def person(email: str, full_name: str, **fields: bool | str) -> Membership:
        """A demo login; ``fields`` are the membership's roles (is_admin=True…) and details."""
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": full_name, "password": password_hash}
        )
        membership, _ = Membership.objects.get_or_create(user=user, defaults=fields)
        return membership

    slug = org.slug
    admin = person(
        f"admin@{slug}.test",
        "Hannah Reid",
        is_admin=True,
        is_sponsor=True,
        job_title="Head of L&D",
        function="HR",
    )
    learner = person(
        f"learner@{slug}.test",
        "Leo Martins",
        is_learner=True,
        job_title="Operations Team Lead",
        function="Operations",
    )
    coach = person(
        f"coach@{slug}.test", "Cora Whitfield", is_coach=True, job_title="Executive Coach"
    )
    sponsor = person(
        f"sponsor@{slug}.test",
        "Sam Osei",
        is_sponsor=True,
        job_title="Chief Operating Officer",
        function="Operations",
    )
    consultant = person(
        CONSULTANT_EMAIL, "Morgan Ellis", is_coach=True, job_title="Leadership Coach (external)"
    )
    if learner.team_id is None:
        Membership.objects.filter(pk=learner.pk).update(team=teams["Operations"])
        learner.team = teams["Operations"]

    # The rest of the learners, bulk-inserted; ignore_conflicts makes re-runs no-ops.
    emails = [f"learner{i:05d}@{slug}.test" for i in range(1, learners_count + 1)]
    users = []
    for i, email in enumerate(emails):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        users.append(User(email=email, full_name=f"{first} {last}", password=password_hash))
    User.objects.bulk_create(users, batch_size=1000, ignore_conflicts=True)
    user_ids = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    team_names = list(teams)
    memberships = []
    for i, email in enumerate(emails):
        team_name = team_names[i % len(team_names)]
        memberships.append(
            Membership(
                organization_id=org.pk,
                user_id=user_ids[email],
                is_learner=True,
                team=teams[team_name],
                job_title=TITLES[i % len(TITLES)],
                function=FUNCTIONS[team_name],
            )
        )
    Membership.objects.bulk_create(memberships, batch_size=1000, ignore_conflicts=True)
    assign_team_managers(teams, sponsor)
    all_learners = list(
        Membership.objects.filter(is_learner=True, user__email__in=[*emails, learner.user.email])
        .select_related("user")
        .order_by("user__email")
    )
    by_hand = set(emails[: max(0, hand_made)])
    chosen = frozenset([learner.pk] + [m.pk for m in all_learners if m.user.email in by_hand])
    return DemoPeople(
        org, admin, learner, coach, sponsor, all_learners, teams, consultant, hand_made=chosen
    )


def assign_team_managers(teams: dict[str, Team], head: Membership) -> None:
    """Each team is led by its first learner (by e-mail), whom the rest of the team reports to;
    the leads report to ``head``. Only empty slots are filled, so re-runs change nothing."""
    for team in teams.values():
        lead = team.manager or (
            Membership.objects.filter(team=team, is_learner=True).order_by("user__email").first()
        )
        if lead is None:
            continue
        if team.manager_id is None:
            Team.objects.filter(pk=team.pk, manager__isnull=True).update(manager=lead)
            team.manager = lead
        Membership.objects.filter(team=team, manager__isnull=True).exclude(pk=lead.pk).update(
            manager=lead
        )
        Membership.objects.filter(pk=lead.pk, manager__isnull=True).exclude(pk=head.pk).update(
            manager=head
        )


def seed_security(people: DemoPeople) -> None:
    """Security settings and a sign-in history, so the security pages show something: the
    named people's few events, and each learner's last sign-in within the past four weeks (an
    organisation's events page is a full page at any size, as it would be in service).

    Idempotent: the settings are set, not added; the history is created once per person."""
    from organizations.models import SecurityEvent

    org = people.org
    Organization.objects.filter(pk=org.pk).update(session_idle_minutes=240, retention_days=730)
    now = timezone.now()
    history = [
        (people.admin, SecurityEvent.Kind.SIGNED_IN, 26),
        (people.learner, SecurityEvent.Kind.SIGN_IN_FAILED, 50),
        (people.learner, SecurityEvent.Kind.SIGNED_IN, 49),
        (people.coach, SecurityEvent.Kind.SIGNED_IN, 3),
    ]
    for member, kind, hours_ago in history:
        SecurityEvent.objects.get_or_create(
            user=member.user,
            kind=kind,
            detail={"demo": True},
            defaults={
                "email": member.user.email,
                "ip_address": "192.0.2.10",
                "user_agent": "Demo browser",
                "created_at": now - dt.timedelta(hours=hours_ago),
            },
        )
    # The learners' last sign-ins, bulk-inserted once: spread over four weeks, newest first
    # by the learners' order (fixed times, so that a second run finds them).
    learners = [m for m in people.learners if m.pk != people.learner.pk]
    if (
        learners
        and not SecurityEvent.objects.filter(
            user_id=learners[0].user_id, detail={"demo": "history"}
        ).exists()
    ):
        day = now.replace(hour=9, minute=0, second=0, microsecond=0)
        step = dt.timedelta(weeks=4) / len(learners)
        SecurityEvent.objects.bulk_create(
            (
                SecurityEvent(
                    user_id=member.user_id,
                    kind=SecurityEvent.Kind.SIGNED_IN,
                    detail={"demo": "history"},
                    email=member.user.email,
                    ip_address="192.0.2.20",
                    user_agent="Demo browser",
                    created_at=day - dt.timedelta(days=2) - i * step,
                )
                for i, member in enumerate(learners)
            ),
            batch_size=2000,
        )
