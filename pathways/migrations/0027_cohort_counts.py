"""Each cohort's enrolments counted (``CohortCounts``), kept by PostgreSQL statement triggers so
the cohort page and coach home read one row a cohort instead of counting every enrolment (5,000
in a cohort of most of the organisation).

- A new cohort gets its row (all zero).
- Enrolments added, changed or removed move ``enrolments``, ``withdrawn`` and ``inactive`` (the
  current enrolments of deactivated people) of their cohorts.
- A person switched off or on moves ``inactive`` of the cohorts they are currently in.

Statement triggers with transition tables: a bulk enrolment of thousands of learners updates
each cohort's row once, in the same transaction, by ``n = n + delta`` (two enrolments at once
both count: the row is locked, not read and written back). Existing cohorts are counted here,
an organisation at a time (the tables sit behind row-level security and migrations run as the
application role). On other databases nothing is installed and the pages count enrolments.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


def _enrolments_delta(rows: str, sign: str) -> str:
    """Each cohort's change from the enrolments in ``rows`` (a transition table)."""
    return f"""
        SELECT e.cohort_id, {sign} count(*) AS enrolments,
               {sign} count(*) FILTER (WHERE e.status = 'withdrawn') AS withdrawn,
               {sign} count(*) FILTER (WHERE e.status <> 'withdrawn' AND m.id IS NOT NULL)
                   AS inactive
        FROM {rows} e
        LEFT JOIN organizations_membership m ON m.id = e.learner_id AND NOT m.is_active
        GROUP BY e.cohort_id"""


def _apply(delta: str) -> str:
    return f"""
        UPDATE pathways_cohortcounts k
        SET enrolments = k.enrolments + d.enrolments, withdrawn = k.withdrawn + d.withdrawn,
            inactive = k.inactive + d.inactive
        FROM (SELECT cohort_id, sum(enrolments) AS enrolments, sum(withdrawn) AS withdrawn,
                     sum(inactive) AS inactive
              FROM ({delta}) x GROUP BY cohort_id ORDER BY cohort_id) d
        WHERE k.cohort_id = d.cohort_id
            AND (d.enrolments <> 0 OR d.withdrawn <> 0 OR d.inactive <> 0);"""


# A person switched off (+) or on (-): their current enrolments, by cohort.
_PEOPLE_DELTA = """
        SELECT e.cohort_id, 0 AS enrolments, 0 AS withdrawn,
               sum(CASE WHEN n.is_active THEN -1 ELSE 1 END) AS inactive
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id AND o.is_active <> n.is_active
        JOIN pathways_enrollment e
            ON e.organization_id = n.organization_id AND e.learner_id = n.id
            AND e.status <> 'withdrawn'
        GROUP BY e.cohort_id"""

TRIGGERS = f"""
CREATE FUNCTION pathways_cohortcounts_new_cohort() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pathways_cohortcounts (organization_id, cohort_id, enrolments, withdrawn, inactive)
    SELECT organization_id, id, 0, 0, 0 FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_cohortcounts_new_cohort AFTER INSERT ON pathways_cohort
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_cohortcounts_new_cohort();

CREATE FUNCTION pathways_cohortcounts_enrolled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_enrolments_delta("new_rows", ""))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_cohortcounts_enrolled AFTER INSERT ON pathways_enrollment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_cohortcounts_enrolled();

CREATE FUNCTION pathways_cohortcounts_enrolment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_enrolments_delta("new_rows", "") + " UNION ALL " + _enrolments_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_cohortcounts_enrolment_changed AFTER UPDATE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_cohortcounts_enrolment_changed();

CREATE FUNCTION pathways_cohortcounts_enrolment_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_enrolments_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_cohortcounts_enrolment_removed AFTER DELETE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_cohortcounts_enrolment_removed();

CREATE FUNCTION pathways_cohortcounts_person_switched() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_PEOPLE_DELTA)}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_cohortcounts_person_switched AFTER UPDATE ON organizations_membership
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_cohortcounts_person_switched();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS pathways_cohortcounts_new_cohort ON pathways_cohort;
DROP TRIGGER IF EXISTS pathways_cohortcounts_enrolled ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_cohortcounts_enrolment_changed ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_cohortcounts_enrolment_removed ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_cohortcounts_person_switched ON organizations_membership;
DROP FUNCTION IF EXISTS pathways_cohortcounts_new_cohort();
DROP FUNCTION IF EXISTS pathways_cohortcounts_enrolled();
DROP FUNCTION IF EXISTS pathways_cohortcounts_enrolment_changed();
DROP FUNCTION IF EXISTS pathways_cohortcounts_enrolment_removed();
DROP FUNCTION IF EXISTS pathways_cohortcounts_person_switched();
"""

BACKFILL = """
INSERT INTO pathways_cohortcounts (organization_id, cohort_id, enrolments, withdrawn, inactive)
SELECT c.organization_id, c.id,
       (SELECT count(*) FROM pathways_enrollment e WHERE e.cohort_id = c.id),
       (SELECT count(*) FROM pathways_enrollment e
        WHERE e.cohort_id = c.id AND e.status = 'withdrawn'),
       (SELECT count(*) FROM pathways_enrollment e
        JOIN organizations_membership m ON m.id = e.learner_id
        WHERE e.cohort_id = c.id AND e.status <> 'withdrawn' AND NOT m.is_active)
FROM pathways_cohort c
WHERE NOT EXISTS (SELECT 1 FROM pathways_cohortcounts k WHERE k.cohort_id = c.id)
"""


def count_existing_cohorts(apps, schema_editor):
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
        ("organizations", "0018_membership_staff_index"),
        ("pathways", "0026_module_reach_ratings"),
    ]

    operations = [
        migrations.CreateModel(
            name="CohortCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("enrolments", models.IntegerField(default=0)),
                ("withdrawn", models.IntegerField(default=0)),
                ("inactive", models.IntegerField(default=0)),
                (
                    "cohort",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="pathways.cohort",
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
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "cohort"), name="cohortcounts_unique"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("CohortCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_cohorts, migrations.RunPython.noop),
    ]
