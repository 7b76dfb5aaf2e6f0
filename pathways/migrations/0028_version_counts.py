"""Each pathway version's active enrolments counted (``VersionCounts``), kept by PostgreSQL
statement triggers so the pathways list reads one row a version instead of counting its active
learners (2,503 index entries a version at 5,000 learners, on every view of the list).

- A new version gets its row (zero).
- Enrolments added, changed (withdrawn, restored, completed, moved to another version by a
  publication) or removed move ``active`` of the versions they were and are on.

Statement triggers with transition tables, as ``0027_cohort_counts``: a bulk enrolment or a
publication that moves thousands of learners updates each version's row once, in the same
transaction, by ``n = n + delta`` (two enrolments at once both count: the row is locked, not
read and written back). Existing versions are counted here, an organisation at a time (the
tables sit behind row-level security and migrations run as the application role). On other
databases nothing is installed and the list counts enrolments.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


def _active_delta(rows: str, sign: str) -> str:
    """Each version's change from the active enrolments in ``rows`` (a transition table)."""
    return f"""
        SELECT e.version_id, {sign} count(*) AS active
        FROM {rows} e WHERE e.status = 'active'
        GROUP BY e.version_id"""  # noqa: S608


def _apply(delta: str) -> str:
    return f"""
        UPDATE pathways_versioncounts k SET active = k.active + d.active
        FROM (SELECT version_id, sum(active) AS active
              FROM ({delta}) x GROUP BY version_id ORDER BY version_id) d
        WHERE k.version_id = d.version_id AND d.active <> 0;"""  # noqa: S608


TRIGGERS = f"""
CREATE FUNCTION pathways_versioncounts_new_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pathways_versioncounts (organization_id, version_id, active)
    SELECT organization_id, id, 0 FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_versioncounts_new_version AFTER INSERT ON pathways_pathwayversion
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_versioncounts_new_version();

CREATE FUNCTION pathways_versioncounts_enrolled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("new_rows", ""))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_versioncounts_enrolled AFTER INSERT ON pathways_enrollment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_versioncounts_enrolled();

CREATE FUNCTION pathways_versioncounts_enrolment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("new_rows", "") + " UNION ALL " + _active_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_versioncounts_enrolment_changed AFTER UPDATE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_versioncounts_enrolment_changed();

CREATE FUNCTION pathways_versioncounts_enrolment_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_active_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_versioncounts_enrolment_removed AFTER DELETE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_versioncounts_enrolment_removed();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS pathways_versioncounts_new_version ON pathways_pathwayversion;
DROP TRIGGER IF EXISTS pathways_versioncounts_enrolled ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_versioncounts_enrolment_changed ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_versioncounts_enrolment_removed ON pathways_enrollment;
DROP FUNCTION IF EXISTS pathways_versioncounts_new_version();
DROP FUNCTION IF EXISTS pathways_versioncounts_enrolled();
DROP FUNCTION IF EXISTS pathways_versioncounts_enrolment_changed();
DROP FUNCTION IF EXISTS pathways_versioncounts_enrolment_removed();
"""

BACKFILL = """
INSERT INTO pathways_versioncounts (organization_id, version_id, active)
SELECT v.organization_id, v.id,
       (SELECT count(*) FROM pathways_enrollment e
        WHERE e.version_id = v.id AND e.status = 'active')
FROM pathways_pathwayversion v
WHERE NOT EXISTS (SELECT 1 FROM pathways_versioncounts k WHERE k.version_id = v.id)
"""


def count_existing_versions(apps, schema_editor):
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
        ("pathways", "0027_cohort_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="VersionCounts",
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
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="pathways.pathwayversion",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "version"), name="versioncounts_unique"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("VersionCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_versions, migrations.RunPython.noop),
    ]
