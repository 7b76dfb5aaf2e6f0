from django.db import migrations

TABLE = "measurement_learnerprogressrollup"


def leave_room(apps, schema_editor):
    """Room in each page for a new version of its rows: the roll-up rewrites a row's figures in
    place (a heap-only update, no index entry) instead of moving it and updating its 9
    indexes. PostgreSQL only."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 70)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("measurement", "0009_learner_rollup_team_index")]

    operations = [migrations.RunPython(leave_room, fill_pages)]
