"""The mastery evidence ledger: one row per graded answer and competency whose BKT estimate it
updated, with row-level security, filled in for the answers given before it existed.

Until now the growth page counted reviews and scenario choices under the *current* competency
tags of items, modules and scenarios, so a retag made its counts drift from the estimate. From
now on the services write the ledger with each update. For earlier answers the tags of today
are the best information left: a review counts for its item's competency, or each competency of
its module; a scenario choice for the competencies scored in its situation, or anywhere in the
scenario; a practice question for the competency it was practised under (its statement records
it). p(known) before and after each row is BKT replayed from the prior in answer order, with
the parameters below frozen as they are today (a migration must not follow later code).

The rows sit behind row-level security and migrations run as the application role, so on
PostgreSQL each organisation is set in turn, as the tenant context does for a request.
"""

from __future__ import annotations

from collections import defaultdict

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity

BKT_GUESS, BKT_SLIP, BKT_LEARN, BKT_PRIOR = 0.2, 0.1, 0.1, 0.2
AGAIN = 1  # fsrs.Rating.Again: the only rating that is not a right answer
REVIEW, PRACTICE_QUESTION, SCENARIO_CHOICE = "review", "practice_question", "scenario_choice"
# Rows per INSERT: about 200 bytes each, so a batch is a few hundred kilobytes of SQL.
BATCH_SIZE = 2000


def bkt_update(p_known, correct):
    if correct:
        seen = p_known * (1 - BKT_SLIP)
        posterior = seen / (seen + (1 - p_known) * BKT_GUESS)
    else:
        seen = p_known * BKT_SLIP
        posterior = seen / (seen + (1 - p_known) * (1 - BKT_GUESS))
    return posterior + (1 - posterior) * BKT_LEARN


def organisation_answers(apps, org_id):
    """Every graded answer of one organisation as (learner, answered_at, kind, source id,
    correct, competency ids), with the competencies read from today's tags."""
    ActivityEvent = apps.get_model("pathways", "ActivityEvent")
    ChoiceScore = apps.get_model("pathways", "ChoiceScore")
    Competency = apps.get_model("competencies", "Competency")
    ModuleCompetency = apps.get_model("pathways", "ModuleCompetency")
    ReviewLog = apps.get_model("pathways", "ReviewLog")
    ScenarioDecision = apps.get_model("pathways", "ScenarioDecision")
    mine = {"organization_id": org_id}

    of_module = defaultdict(list)
    for module_id, competency_id in (
        ModuleCompetency.objects.filter(**mine)
        .order_by("competency_id")
        .values_list("module_id", "competency_id")
    ):
        of_module[module_id].append(competency_id)
    for log in ReviewLog.objects.filter(**mine).values(
        "pk",
        "learner_id",
        "reviewed_at",
        "rating",
        "correct",
        "card__item__competency_id",
        "card__item__module_id",
    ):
        own = log["card__item__competency_id"]
        competencies = [own] if own is not None else of_module[log["card__item__module_id"]]
        correct = log["correct"] if log["correct"] is not None else log["rating"] != AGAIN
        yield (log["learner_id"], log["reviewed_at"], REVIEW, log["pk"], correct, competencies)

    existing = set(Competency.objects.filter(**mine).values_list("pk", flat=True))
    for event in ActivityEvent.objects.filter(
        verb="answered", object_type="retrieval_item", **mine
    ).values("pk", "actor_id", "timestamp", "result"):
        result = event["result"] if isinstance(event["result"], dict) else {}
        competency = result.get("competency")
        if isinstance(competency, str) and competency.isdigit():
            competency = int(competency)
        if not isinstance(competency, int) or competency not in existing:
            continue  # no competency recorded, or it has been deleted since
        correct = bool(result.get("success"))
        yield (
            event["actor_id"],
            event["timestamp"],
            PRACTICE_QUESTION,
            event["pk"],
            correct,
            [competency],
        )

    at_node = defaultdict(set)
    in_scenario = defaultdict(set)
    for node_id, scenario_id, competency_id in ChoiceScore.objects.filter(**mine).values_list(
        "choice__node_id", "choice__node__scenario_id", "competency_id"
    ):
        at_node[node_id].add(competency_id)
        in_scenario[scenario_id].add(competency_id)
    for decision in ScenarioDecision.objects.filter(**mine).values(
        "pk",
        "play__learner_id",
        "decided_at",
        "node_id",
        "play__scenario_id",
        "choice__is_effective",
    ):
        tested = sorted(at_node[decision["node_id"]] or in_scenario[decision["play__scenario_id"]])
        yield (
            decision["play__learner_id"],
            decision["decided_at"],
            SCENARIO_CHOICE,
            decision["pk"],
            decision["choice__is_effective"],
            tested,
        )


def backfill_organisation(apps, org_id):
    """Write the ledger rows of one organisation's earlier answers (the tenant must be set)."""
    MasteryEvidence = apps.get_model("pathways", "MasteryEvidence")
    updates = []
    for learner_id, answered_at, kind, source_id, correct, competencies in organisation_answers(
        apps, org_id
    ):
        for competency_id in competencies:
            updates.append((learner_id, competency_id, answered_at, kind, source_id, correct))
    # BKT is replayed per learner and competency in the order the answers were given.
    updates.sort(key=lambda u: (u[0], u[1], u[2], u[3], u[4]))
    now = django.utils.timezone.now()
    p_known = {}
    rows = []
    for learner_id, competency_id, answered_at, kind, source_id, correct in updates:
        before = p_known.get((learner_id, competency_id), BKT_PRIOR)
        after = p_known[(learner_id, competency_id)] = bkt_update(before, correct)
        rows.append(
            MasteryEvidence(
                organization_id=org_id,
                learner_id=learner_id,
                competency_id=competency_id,
                source_kind=kind,
                source_id=source_id,
                correct=correct,
                p_known_before=before,
                p_known_after=after,
                answered_at=answered_at,
                created_at=now,
            )
        )
    # A row the services already wrote for the same answer stays as it is.
    MasteryEvidence.objects.bulk_create(rows, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(rows)


def backfill_mastery_evidence(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            backfill_organisation(apps, org_id)
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("competencies", "0004_unique_names_ignore_case"),
        ("organizations", "0005_unique_names_ignore_case"),
        ("pathways", "0011_personalisation_rule_actions"),
    ]

    operations = [
        migrations.CreateModel(
            name="MasteryEvidence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source_kind",
                    models.CharField(
                        choices=[
                            ("review", "Review"),
                            ("practice_question", "Practice question"),
                            ("scenario_choice", "Scenario choice"),
                        ],
                        max_length=20,
                    ),
                ),
                ("source_id", models.PositiveBigIntegerField()),
                ("correct", models.BooleanField()),
                ("p_known_before", models.FloatField()),
                ("p_known_after", models.FloatField()),
                ("answered_at", models.DateTimeField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "competency",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="competencies.competency",
                    ),
                ),
                (
                    "learner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.membership",
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["organization", "learner", "competency"],
                        name="masteryevidence_learner",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "source_kind", "source_id", "competency"),
                        name="masteryevidence_unique_source",
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("MasteryEvidence"),
        migrations.RunPython(backfill_mastery_evidence, migrations.RunPython.noop),
    ]
