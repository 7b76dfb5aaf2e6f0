"""Each team's active members counted (``TeamCounts``), kept by PostgreSQL statement triggers
so that the teams page reads one row a team instead of counting its active members (hundreds
to thousands of index entries for a top-level team at 5,000 learners, on every view of the
page).

- A new team gets its row (zero).
- Memberships added, changed (moved to another team or to none, switched off or on) or removed
  move ``active`` of the teams they were and are in.

Statement triggers with transition tables, as ``0020_people_counts`` and
``pathways.0028_version_counts``: a people import moving many people, the deactivation of a
team's members in one statement or the demo's bulk insert updates each team's row once, in the
same transaction, by ``n = n + delta`` (two writes at once both count: the row is locked, not
read and written back). Existing teams are counted here, an organisation at a time (the tables
sit behind row-level security and migrations run as the application role). On other databases
nothing is installed and the page counts the members.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


def _active_delta(rows: str, sign: str) -> str:
    """Each team's change from the active memberships in ``rows`` (a transition table)."""
    return f"""
        SELECT m.organization_id, m.team_id, {sign} count(*) AS active
        FROM {rows} m WHERE m.is_active AND m.team_id IS NOT NULL
        GROUP BY m.organization_id, m.team_id"""  # noqa: S608


def _apply(delta: str) -> str:
    return f"""
        UPDATE organizations_teamcounts k SET active = k.active + d.active
        FROM (SELECT organization_id, team_id, sum(active) AS active
              FROM ({delta}) x GROUP BY organization_id, team_id
              ORDER BY organization_id, team_id) d
        WHERE k.organization_id = d.organization_id AND k.team_id = d.team_id
          AND d.active <> 0;"""  # noqa: S608


TRIGGERS = f"""
CREATE FUNCTION organizations_teamcounts_new_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organizations_teamcounts (organization_id, team_id, active)
    SELECT organization_id, id, 0 FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_teamcounts_new_team AFTER INSERT ON organizations_team
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_teamcounts_new_team();

CREATE FUNCTION organizations_teamcounts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("new_rows", ""))}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_teamcounts_added AFTER INSERT ON organizations_membership
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_teamcounts_added();

CREATE FUNCTION organizations_teamcounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("new_rows", "") + " UNION ALL " + _active_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_teamcounts_changed AFTER UPDATE ON organizations_membership
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_teamcounts_changed();

CREATE FUNCTION organizations_teamcounts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_teamcounts_removed AFTER DELETE ON organizations_membership
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_teamcounts_removed();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS organizations_teamcounts_new_team ON organizations_team;
DROP TRIGGER IF EXISTS organizations_teamcounts_added ON organizations_membership;
DROP TRIGGER IF EXISTS organizations_teamcounts_changed ON organizations_membership;
DROP TRIGGER IF EXISTS organizations_teamcounts_removed ON organizations_membership;
DROP FUNCTION IF EXISTS organizations_teamcounts_new_team();
DROP FUNCTION IF EXISTS organizations_teamcounts_added();
DROP FUNCTION IF EXISTS organizations_teamcounts_changed();
DROP FUNCTION IF EXISTS organizations_teamcounts_removed();
"""

BACKFILL = """
INSERT INTO organizations_teamcounts (organization_id, team_id, active)
SELECT t.organization_id, t.id,
       (SELECT count(*) FROM organizations_membership m
        WHERE m.organization_id = t.organization_id AND m.team_id = t.id AND m.is_active)
FROM organizations_team t
WHERE NOT EXISTS (SELECT 1 FROM organizations_teamcounts k WHERE k.team_id = t.id)
"""


def count_existing_teams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Organization = apps.get_model("organizations", "Organization")
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.values_list("pk", flat=True):
            cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            cursor.execute(BACKFILL)
        cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0020_people_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("active", models.IntegerField(default=0)),
                (
                    "organization",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.organization",
                    ),
                ),
                (
                    "team",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="organizations.team",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "team"), name="teamcounts_unique"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("TeamCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_teams, migrations.RunPython.noop),
    ]
