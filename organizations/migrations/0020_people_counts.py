"""Each organisation's members counted (``PeopleCounts``), kept by PostgreSQL statement triggers
on memberships so that the people page reads one row instead of counting the members (up to a
thousand and one index entries at 5,000 learners, and "more than 1,000" past them).

- Members added: their organisation's row is made or moved up (an upsert, so that the first
  member of a new organisation makes it).
- Members changed (switched off or on, roles given or taken) or removed (an erasure, an
  organisation deleted): the rows move by the difference.

Statement triggers with transition tables: a people import or the demo's bulk insert of
thousands of members updates the organisation's row once, in the same transaction, by
``n = n + delta`` (two writes at once both count: the row is locked, not read and written
back). Existing organisations are counted here, one at a time (the tables sit behind row-level
security and migrations run as the application role). On other databases nothing is installed
and the page counts the members.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL

COUNTED = ("members", "deactivated", "admins", "sponsors", "coaches", "learners")


def _delta(rows: str, sign: str) -> str:
    """Each organisation's change from the memberships in ``rows`` (a transition table)."""
    return f"""
        SELECT organization_id, {sign} count(*) AS members,
               {sign} count(*) FILTER (WHERE NOT is_active) AS deactivated,
               {sign} count(*) FILTER (WHERE is_admin) AS admins,
               {sign} count(*) FILTER (WHERE is_sponsor) AS sponsors,
               {sign} count(*) FILTER (WHERE is_coach) AS coaches,
               {sign} count(*) FILTER (WHERE is_learner) AS learners
        FROM {rows}
        GROUP BY organization_id"""  # noqa: S608


def _apply(delta: str) -> str:
    sums = ", ".join(f"sum({c}) AS {c}" for c in COUNTED)
    moved = ", ".join(f"{c} = k.{c} + d.{c}" for c in COUNTED)
    changed = " OR ".join(f"d.{c} <> 0" for c in COUNTED)
    return f"""
        UPDATE organizations_peoplecounts k SET {moved}
        FROM (SELECT organization_id, {sums}
              FROM ({delta}) x GROUP BY organization_id ORDER BY organization_id) d
        WHERE k.organization_id = d.organization_id AND ({changed});"""  # noqa: S608


_ADDED = f"""
        INSERT INTO organizations_peoplecounts (organization_id, {", ".join(COUNTED)})
        SELECT * FROM ({_delta("new_rows", "")}) d ORDER BY organization_id
        ON CONFLICT (organization_id) DO UPDATE SET
            {", ".join(f"{c} = organizations_peoplecounts.{c} + EXCLUDED.{c}" for c in COUNTED)};"""  # noqa: S608

TRIGGERS = f"""
CREATE FUNCTION organizations_peoplecounts_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ADDED}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_peoplecounts_added AFTER INSERT ON organizations_membership
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_peoplecounts_added();

CREATE FUNCTION organizations_peoplecounts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_delta("new_rows", "") + " UNION ALL " + _delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_peoplecounts_changed AFTER UPDATE ON organizations_membership
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_peoplecounts_changed();

CREATE FUNCTION organizations_peoplecounts_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER organizations_peoplecounts_removed AFTER DELETE ON organizations_membership
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION organizations_peoplecounts_removed();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS organizations_peoplecounts_added ON organizations_membership;
DROP TRIGGER IF EXISTS organizations_peoplecounts_changed ON organizations_membership;
DROP TRIGGER IF EXISTS organizations_peoplecounts_removed ON organizations_membership;
DROP FUNCTION IF EXISTS organizations_peoplecounts_added();
DROP FUNCTION IF EXISTS organizations_peoplecounts_changed();
DROP FUNCTION IF EXISTS organizations_peoplecounts_removed();
"""

BACKFILL = f"""
INSERT INTO organizations_peoplecounts (organization_id, {", ".join(COUNTED)})
SELECT %s, count(*), count(*) FILTER (WHERE NOT is_active), count(*) FILTER (WHERE is_admin),
       count(*) FILTER (WHERE is_sponsor), count(*) FILTER (WHERE is_coach),
       count(*) FILTER (WHERE is_learner)
FROM organizations_membership WHERE organization_id = %s
ON CONFLICT (organization_id) DO NOTHING
"""  # noqa: S608


def count_existing_people(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Organization = apps.get_model("organizations", "Organization")
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.values_list("pk", flat=True):
            cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            cursor.execute(BACKFILL, [org_id, org_id])
        cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0019_team_members_index_with_account"),
    ]

    operations = [
        migrations.CreateModel(
            name="PeopleCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("members", models.IntegerField(default=0)),
                ("deactivated", models.IntegerField(default=0)),
                ("admins", models.IntegerField(default=0)),
                ("sponsors", models.IntegerField(default=0)),
                ("coaches", models.IntegerField(default=0)),
                ("learners", models.IntegerField(default=0)),
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
                "constraints": [
                    models.UniqueConstraint(fields=("organization",), name="peoplecounts_unique")
                ],
            },
        ),
        EnableRowLevelSecurity("PeopleCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_people, migrations.RunPython.noop),
    ]
