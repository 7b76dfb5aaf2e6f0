"""Shared fixtures: two organisations in every module, members by role, query counting."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# pandas defines C types deriving from datetime.datetime when it is first imported; imported
# under a frozen clock (freezegun swaps datetime.datetime for a subclass of its own, and a test
# that sweeps the outbox "later" can be the first to reach the statistics code), those types
# send the garbage collector into endless recursion. Imported here, before any test freezes
# time, whatever the order the tests run in.
import pandas  # noqa: F401
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import Membership, Organization, Team, User
from organizations.tenancy import tenant_context
from pathways.models import Cohort, Enrollment, Module, Pathway, PathwayVersion, Stage, Step
from tests.pgbouncer import PGBOUNCER_URL, through_pgbouncer

PASSWORD = "correct-horse-battery"

requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row-level security); set DATABASE_URL=postgres://…",
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """With ``PGBOUNCER_URL``, the tests talk to the test database through PgBouncer."""
    if not PGBOUNCER_URL:
        yield
        return
    with through_pgbouncer(django_db_blocker):
        yield


@pytest.fixture
def org_a(db: Any) -> Organization:
    return Organization.objects.create(name="Acme", slug="acme-t")


@pytest.fixture
def org_b(db: Any) -> Organization:
    return Organization.objects.create(name="Globex", slug="globex-t")


def make_member(
    org: Organization, email: str, team: Team | None = None, **roles: Any
) -> Membership:
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=PASSWORD, full_name=email.split("@")[0].title()
    )
    with tenant_context(org):
        return Membership.objects.create(user=user, team=team, **roles)


@pytest.fixture
def member_factory(db: Any) -> Callable[..., Membership]:
    return make_member


@dataclass
class PathwayFixture:
    version: PathwayVersion
    cohort: Cohort
    steps: list[Step]


def make_pathway(
    org: Organization,
    n_steps: int = 4,
    start: dt.date | None = None,
    offsets: list[int] | None = None,
    name: str = "Leading Through Change",
) -> PathwayFixture:
    with tenant_context(org):
        pathway = Pathway.objects.create(name=name)
        version = PathwayVersion.objects.create(
            pathway=pathway, number=1, status=PathwayVersion.Status.PUBLISHED
        )
        stage = Stage.objects.create(version=version, title="Stage 1", position=0)
        steps = []
        for i in range(n_steps):
            module = Module.objects.create(
                title=f"{name} module {i + 1}", minutes=10, status=Module.Status.PUBLISHED
            )
            steps.append(
                Step.objects.create(
                    version=version,
                    stage=stage,
                    module=module,
                    position=i,
                    available_offset_days=(offsets[i] if offsets else 0),
                )
            )
        cohort = Cohort.objects.create(
            name=f"{name} cohort",
            version=version,
            start_date=start or timezone.localdate() - dt.timedelta(days=1),
        )
    return PathwayFixture(version, cohort, steps)


@pytest.fixture
def admin_a(org_a: Organization) -> Membership:
    """An admin of organisation A (test modules may override it with their own)."""
    return make_member(org_a, "admin@a.example", is_admin=True)


def enroll(org: Organization, fixture: PathwayFixture, member: Membership) -> Enrollment:
    with tenant_context(org):
        return Enrollment.objects.create(
            cohort=fixture.cohort, learner=member, version=fixture.version
        )


@contextmanager
def count_queries() -> Iterator[CaptureQueriesContext]:
    """Capture queries; ``len(ctx.app_queries)`` leaves out the tenant ``set_config`` calls."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    ctx.app_queries = [  # type: ignore[attr-defined]
        q
        for q in ctx.captured_queries
        # The tenant SET on its own; a SELECT that also sets it (the organisation's) is counted.
        if not re.match(r"select set_config\('app\.", q["sql"])
        and not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
    ]


@pytest.fixture
def login(client: Any) -> Callable[[Membership], Any]:
    def _login(member: Membership) -> Any:
        client.force_login(member.user)
        return client

    return _login
