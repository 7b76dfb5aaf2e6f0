"""Each coach's coachees counted (``CoachCounts``), kept by PostgreSQL statement triggers so
coach home reads one row instead of comparing the enrolments of the coach's cohorts (a person
in two of them is one coachee).

- A coach assigned a cohort gets their row, counted.
- Enrolments added, removed, withdrawn, restored or moved, and coaches added to or taken off
  a cohort, count the people of the coaches concerned again.

A person is counted once however many of the coach's cohorts they are in, so a change cannot
add a delta: it counts the coach's people again (one index range a cohort). It locks the
coach's row first, in order, so that a change waiting for another's commit counts what that
one committed (each statement of the trigger takes a new snapshot); two enrolments at once
both count. Only an assignment makes a row: the deletions of a cascade (a cohort, a person,
an organisation) only update rows, so none is made for a coach being deleted. Statement
triggers with transition tables: a bulk enrolment counts each coach once. Existing coaches are
counted here, an organisation at a time (the tables sit behind row-level security and
migrations run as the application role). On other databases nothing is installed and coach
home counts the people.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


def _recount(coaches: str) -> str:
    """Count again the coaches that the query ``coaches`` (one column of membership ids)
    finds."""
    return f"PERFORM pathways_coachcounts_recount(ARRAY({coaches}));"


# The coaches of the cohorts of current enrolments added or removed; of both cohorts of an
# enrolment moved, withdrawn, restored or given to another person; of coaches assigned,
# changed or taken off.
_ENROLLED = _recount(
    "SELECT DISTINCT cc.membership_id FROM new_rows e"
    " JOIN pathways_cohortcoach cc ON cc.cohort_id = e.cohort_id"
    " WHERE e.status <> 'withdrawn'"
)
_ENROLMENT_CHANGED = _recount(
    "SELECT DISTINCT cc.membership_id FROM new_rows n"
    " JOIN old_rows o ON o.id = n.id"
    " JOIN pathways_cohortcoach cc ON cc.cohort_id IN (o.cohort_id, n.cohort_id)"
    " WHERE (o.cohort_id, o.learner_id, o.status = 'withdrawn')"
    " IS DISTINCT FROM (n.cohort_id, n.learner_id, n.status = 'withdrawn')"
)
_ENROLMENT_REMOVED = _recount(
    "SELECT DISTINCT cc.membership_id FROM old_rows e"
    " JOIN pathways_cohortcoach cc ON cc.cohort_id = e.cohort_id"
    " WHERE e.status <> 'withdrawn'"
)
_COACH_CHANGED = _recount(
    "SELECT membership_id FROM new_rows UNION SELECT membership_id FROM old_rows"
)

# The rows of coaches newly assigned (zero until counted).
_MAKE_ROWS = """INSERT INTO pathways_coachcounts (organization_id, coach_id, learners)
    SELECT DISTINCT organization_id, membership_id, 0 FROM new_rows
    ON CONFLICT (organization_id, coach_id) DO NOTHING;"""

TRIGGERS = f"""
CREATE FUNCTION pathways_coachcounts_recount(coaches bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(coaches) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM pathways_coachcounts k WHERE k.coach_id = ANY (coaches)
        ORDER BY k.coach_id FOR UPDATE;
    UPDATE pathways_coachcounts k SET learners = c.learners
    FROM (
        SELECT k2.id, (
            SELECT count(DISTINCT e.learner_id)
            FROM pathways_cohortcoach cc
            JOIN pathways_enrollment e
                ON e.organization_id = cc.organization_id AND e.cohort_id = cc.cohort_id
                AND e.status <> 'withdrawn'
            WHERE cc.organization_id = k2.organization_id AND cc.membership_id = k2.coach_id
        ) AS learners
        FROM pathways_coachcounts k2 WHERE k2.coach_id = ANY (coaches)
    ) c
    WHERE k.id = c.id AND k.learners <> c.learners;
END $$;

CREATE FUNCTION pathways_coachcounts_enrolled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_ENROLLED}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_enrolled AFTER INSERT ON pathways_enrollment
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_enrolled();

CREATE FUNCTION pathways_coachcounts_enrolment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_ENROLMENT_CHANGED}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_enrolment_changed AFTER UPDATE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_enrolment_changed();

CREATE FUNCTION pathways_coachcounts_enrolment_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    {_ENROLMENT_REMOVED}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_enrolment_removed AFTER DELETE ON pathways_enrollment
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_enrolment_removed();

CREATE FUNCTION pathways_coachcounts_coach_assigned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_MAKE_ROWS}
    {_recount("SELECT DISTINCT membership_id FROM new_rows")}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_coach_assigned AFTER INSERT ON pathways_cohortcoach
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_coach_assigned();

CREATE FUNCTION pathways_coachcounts_coach_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_MAKE_ROWS}
    {_COACH_CHANGED}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_coach_changed AFTER UPDATE ON pathways_cohortcoach
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_coach_changed();

CREATE FUNCTION pathways_coachcounts_coach_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_recount("SELECT DISTINCT membership_id FROM old_rows")}
    RETURN NULL;
END $$;
CREATE TRIGGER pathways_coachcounts_coach_removed AFTER DELETE ON pathways_cohortcoach
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION pathways_coachcounts_coach_removed();
"""  # noqa: S608 - fixed text

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS pathways_coachcounts_enrolled ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_coachcounts_enrolment_changed ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_coachcounts_enrolment_removed ON pathways_enrollment;
DROP TRIGGER IF EXISTS pathways_coachcounts_coach_assigned ON pathways_cohortcoach;
DROP TRIGGER IF EXISTS pathways_coachcounts_coach_changed ON pathways_cohortcoach;
DROP TRIGGER IF EXISTS pathways_coachcounts_coach_removed ON pathways_cohortcoach;
DROP FUNCTION IF EXISTS pathways_coachcounts_enrolled();
DROP FUNCTION IF EXISTS pathways_coachcounts_enrolment_changed();
DROP FUNCTION IF EXISTS pathways_coachcounts_enrolment_removed();
DROP FUNCTION IF EXISTS pathways_coachcounts_coach_assigned();
DROP FUNCTION IF EXISTS pathways_coachcounts_coach_changed();
DROP FUNCTION IF EXISTS pathways_coachcounts_coach_removed();
DROP FUNCTION IF EXISTS pathways_coachcounts_recount(bigint[]);
"""

BACKFILL = """
INSERT INTO pathways_coachcounts (organization_id, coach_id, learners)
SELECT cc.organization_id, cc.membership_id, count(DISTINCT e.learner_id)
FROM pathways_cohortcoach cc
LEFT JOIN pathways_enrollment e
    ON e.organization_id = cc.organization_id AND e.cohort_id = cc.cohort_id
    AND e.status <> 'withdrawn'
GROUP BY cc.organization_id, cc.membership_id
ON CONFLICT (organization_id, coach_id) DO NOTHING
"""


def count_existing_coaches(apps, schema_editor):
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
        ("organizations", "0021_team_counts"),
        ("pathways", "0028_version_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoachCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("learners", models.IntegerField(default=0)),
                (
                    "coach",
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
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "coach"), name="coachcounts_unique"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("CoachCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_coaches, migrations.RunPython.noop),
    ]
