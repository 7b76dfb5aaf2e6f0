"""The migration that creates the mastery evidence ledger fills it in for the answers given
before it existed: every organisation, under row-level security, with today's tags."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.models import ChoiceScore, MasteryEvidence, RetrievalItem, RetrievalOption, ReviewCard
from pathways.practice import services as practice
from pathways.scenarios import queries, services
from tests.conftest import make_member
from tests.pathways.scenarios.builders import make_competencies, make_items, make_scenario

MIGRATION = "0012_mastery_evidence"
migration = importlib.import_module(f"pathways.migrations.{MIGRATION}")


def _historical_apps():
    """The models as this migration sees them (plain managers, no tenant context)."""
    executor = MigrationExecutor(connection)
    return executor.loader.project_state(("pathways", MIGRATION)).apps


def _answer_everything(org, email):
    """Reviews (in the past), then practice questions, then scenario choices, through the
    services, in answer order. Returns the learner and the scenario fixture."""
    fx = make_scenario(org)
    leo = make_member(org, email, is_learner=True)
    items = make_items(org, fx.coaching, [0.0, 0.5], title="Coaching basics")
    [untagged] = make_items(
        org, fx.delegation, [0.0], title="Delegating well", item_competency=False
    )
    start = timezone.now() - dt.timedelta(days=20)
    with tenant_context(org):
        for n, (item, right) in enumerate([(items[0], True), (untagged, False), (items[1], True)]):
            card = ReviewCard.objects.create(learner=leo, item=item, due=start)
            option = RetrievalOption.objects.get(item=item, is_correct=right).pk
            at = start + dt.timedelta(hours=n)
            ticket = practice.issue_ticket(leo, card.pk, now=at - dt.timedelta(seconds=4))
            practice.do_review(leo, card.pk, ticket=ticket, option_id=option, now=at, fuzz=False)
        for n, item in enumerate(items):
            wrong = RetrievalOption.objects.get(item=item, is_correct=False).pk
            services.do_answer_practice(leo, fx.coaching.pk, item.pk, f"q{n}", option_id=wrong)
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.tell.pk, sequence=1)
        services.do_choose(leo, play.pk, fx.plan.pk, sequence=2)
    return leo, fx, items


def _ledger(org):
    with tenant_context(org):
        return sorted(
            MasteryEvidence.objects.values_list(
                "learner_id",
                "competency_id",
                "source_kind",
                "source_id",
                "correct",
                "p_known_before",
                "p_known_after",
                "answered_at",
            )
        )


def _empty_ledger(*orgs):
    for org in orgs:
        with tenant_context(org):
            MasteryEvidence.objects.all().delete()


def test_it_fills_in_the_ledger_of_every_organisation_as_the_services_wrote_it(org_a, org_b):
    _answer_everything(org_a, "leo@a.example")
    _answer_everything(org_b, "bea@b.example")
    written = {org.pk: _ledger(org) for org in (org_a, org_b)}
    assert len(written[org_a.pk]) == 3 + 2 + 2 * 2  # reviews, questions, 2 choices x 2
    _empty_ledger(org_a, org_b)

    migration.backfill_mastery_evidence(_historical_apps(), SimpleNamespace(connection=connection))

    for org in (org_a, org_b):
        assert _ledger(org) == written[org.pk]
    # Run again (a retried deploy): nothing is written twice.
    migration.backfill_mastery_evidence(_historical_apps(), SimpleNamespace(connection=connection))
    assert _ledger(org_a) == written[org_a.pk]


def test_it_fills_in_earlier_answers_under_todays_tags_and_the_page_agrees(org_a, org_b):
    leo, fx, items = _answer_everything(org_a, "leo@a.example")
    [listening] = make_competencies(org_a, ["Listening"])
    _empty_ledger(org_a)
    with tenant_context(org_a):
        # Retagged before the ledger existed: the backfill can only know today's tags.
        RetrievalItem.objects.filter(pk=items[0].pk).update(competency=listening)
        ChoiceScore.objects.filter(choice=fx.plan, competency=fx.delegation).delete()

    with tenant_context(org_a):  # row-level security: the function expects the tenant set
        migration.backfill_organisation(_historical_apps(), org_a.pk)

    with tenant_context(org_a):
        first_review = MasteryEvidence.objects.get(source_kind="review", competency=listening)
        report = {c.name: c for c in queries.growth_report(leo).competencies}
    assert (first_review.p_known_before, first_review.correct) == (0.2, True)
    assert report["Listening"].reviews.count == 1
    # The choice at the middle situation still tests Delegation (take_back scores it).
    assert report["Delegation"].decisions.count == 2
    # Practice questions keep the competency they were practised under, whatever the tags.
    assert report["Coaching and developing others"].questions.count == 2
    assert report["Coaching and developing others"].reviews.count == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_the_table_and_fills_it_when_the_migration_runs(org_a, org_b):
    _answer_everything(org_a, "leo@a.example")
    written = _ledger(org_a)
    executor = MigrationExecutor(connection)
    # Every app's leaf, not only pathways': going back unapplies other apps' migrations that
    # depend on later pathways ones (coaching, feedback), and later tests need their tables.
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([("pathways", "0011_personalisation_rule_actions")])
    executor = MigrationExecutor(connection)  # reload the applied migrations
    executor.migrate(leaves)

    assert _ledger(org_a) == written
    assert _ledger(org_b) == []
