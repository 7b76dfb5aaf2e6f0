"""``python manage.py seed_demo [--learners N] [--bulk-threshold K]``: demo organisations with
realistic data.

The demo's named people and the first ``K`` learners (default 60) are the hand-made part: their
facts go through the services, so every page shows honest data. Every other learner's facts
(360 nominations, answers and frozen reports, pulses) are bulk-inserted in fixed-size batches
in the shapes the services write, so ``--learners 5000`` takes minutes, not hours.

Idempotent: running it twice changes nothing. Runs each organisation inside its own tenant
context (both walls), so it works as the application's non-superuser database role.
"""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandParser

from coaching.demo import seed_coaching
from competencies.demo import seed_framework
from measurement.demo import seed_impact
from measurement.feedback.demo import seed_feedback
from measurement.growth.demo import seed_growth
from measurement.services import do_rollup_progress
from organizations.api_keys.demo import DEMO_KEYS, demo_key_plaintext, seed_api_keys
from organizations.demo import (
    CONSULTANT_EMAIL,
    DEMO_ORGS,
    DEMO_PASSWORD,
    HAND_MADE_LEARNERS,
    ensure_org,
    refresh_statistics,
    seed_people,
    seed_security,
)
from organizations.tenancy import tenant_context
from pathways.badges.demo import seed_badges
from pathways.builder.demo import seed_builder
from pathways.demo import seed_pathways
from pathways.learning.demo import seed_learning
from pathways.library.demo import seed_library
from pathways.scenarios.demo import seed_scenario_plays
from pathways.social.demo import seed_social
from projects.demo import seed_projects


class Command(BaseCommand):
    help = "Create the demo organisations (acme, globex) with people, programmes and progress."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--learners",
            type=int,
            default=36,
            help="Learners per organisation besides the demo logins (default 36).",
        )
        parser.add_argument(
            "--bulk-threshold",
            type=int,
            default=HAND_MADE_LEARNERS,
            help="Learners whose facts go through the services; the rest are bulk-inserted "
            f"(default {HAND_MADE_LEARNERS}).",
        )

    def handle(self, *args: object, learners: int, bulk_threshold: int, **options: object) -> None:
        if learners < 0:
            self.stderr.write("--learners must be zero or more.")
            raise SystemExit(2)
        if bulk_threshold < 0:
            self.stderr.write("--bulk-threshold must be zero or more.")
            raise SystemExit(2)
        started = time.monotonic()
        for slug, name, tz in DEMO_ORGS:
            org = ensure_org(slug, name, tz)
            with tenant_context(org):
                rng = random.Random(slug)
                seed_framework(org)
                seed_library(org)  # before the pathways, so their steps use these modules
                people = seed_people(org, learners, rng, hand_made=bulk_threshold)
                cohort = seed_pathways(people, rng)
                seed_builder(cohort, org.slug)
                seed_social(org)
                seed_scenario_plays(people)
                seed_learning(people)  # last: builds on every other area's demo
                seed_projects(people, cohort)
                refresh_statistics()
                seed_feedback(people, cohort)
                refresh_statistics()
                seed_api_keys(people.admin, org.slug)
                seed_security(people)
                seed_coaching(people)
                do_rollup_progress(org)
                pilot = seed_impact(people, cohort)
                seed_growth(people, pilot)  # after impact: the pilot's 360s and the roll-up
                # After impact, which finishes the pilot cohort's enrolments: each gets its badge.
                seed_badges(org.slug)
            self.stdout.write(f"  {name} ({slug}): {len(people.learners)} learners")
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s.")
        )
        self.stdout.write("\nDemo logins (password: %s)" % DEMO_PASSWORD)
        for slug, _, _ in DEMO_ORGS:
            for role in ("admin", "learner", "coach", "sponsor"):
                self.stdout.write(f"  {role:<8} {role}@{slug}.test")
        self.stdout.write(f"  coach    {CONSULTANT_EMAIL} (both organisations: picks one)")
        self.stdout.write("\nDemo API keys (Authorization: Bearer <key>)")
        for slug, _, _ in DEMO_ORGS:
            for name, scope in DEMO_KEYS:
                self.stdout.write(f"  {slug:<8} {demo_key_plaintext(slug, scope)}  {name}")
