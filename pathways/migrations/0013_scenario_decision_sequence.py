"""Scenario decisions are keyed by their position in the play, not by the situation.

A play stored at most one decision per situation, so a scenario that sends the learner back to
a situation (a "try again" loop) could not be played past it. Each decision now carries
``sequence``: 1 for the play's first decision, 2 for the next, and so on; (organization, play,
sequence) is unique, which keeps a double-submitted choice a no-op. Existing decisions are
numbered per play in the order they were made (time, then id). Decision ids do not change, so
the mastery evidence ledger, which points at them, keeps its sources.

The rows sit behind row-level security and migrations run as the application role, so on
PostgreSQL each organisation is set in turn, as the tenant context does for a request.

Going back restores the one-decision-per-situation constraint, which fails if a play has since
come back to a situation.
"""

from django.db import migrations, models

# Decisions updated per UPDATE statement: one (id, sequence) pair each, a few dozen kilobytes.
BATCH_SIZE = 1000


def number_decisions(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    ScenarioDecision = apps.get_model("pathways", "ScenarioDecision")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            batch = []
            play_id, sequence = None, 0
            # Read in full before writing: SQLite does not isolate a running read from writes
            # on the same connection. Two integers a row.
            in_order = list(
                ScenarioDecision.objects.filter(organization_id=org_id)
                .order_by("play_id", "decided_at", "id")
                .values_list("id", "play_id")
            )
            for pk, play in in_order:
                sequence = sequence + 1 if play == play_id else 1
                play_id = play
                batch.append(ScenarioDecision(pk=pk, sequence=sequence))
                if len(batch) == BATCH_SIZE:
                    ScenarioDecision.objects.bulk_update(batch, ["sequence"])
                    batch = []
            ScenarioDecision.objects.bulk_update(batch, ["sequence"])
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0005_unique_names_ignore_case"),
        ("pathways", "0012_mastery_evidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="scenariodecision",
            name="sequence",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(number_decisions, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="scenariodecision",
            name="sequence",
            field=models.PositiveIntegerField(),
        ),
        migrations.RemoveConstraint(
            model_name="scenariodecision",
            name="scenariodecision_unique",
        ),
        migrations.AddConstraint(
            model_name="scenariodecision",
            constraint=models.UniqueConstraint(
                fields=("organization", "play", "sequence"), name="scenariodecision_unique_step"
            ),
        ),
    ]
