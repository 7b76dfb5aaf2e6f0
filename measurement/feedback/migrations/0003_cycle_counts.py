"""The counts the list of 360 cycles shows, kept per cycle by PostgreSQL statement triggers so
the list reads one row per cycle instead of counting every rater request of every learner
(hundreds of thousands at 5,000 learners).

- A new cycle gets its row (all zero).
- Participants added or removed move ``learners`` (a participant never changes cycle).
- Rater requests added, changed or removed move ``invited`` (not nominated) and ``responded``
  (answered), for the cycle's own requests: not a pulse's, not the learner's self-assessment.

Statement triggers with transition tables: a bulk insert or update of thousands of requests
updates each cycle's row once, in the same transaction. Existing cycles are counted here, an
organisation at a time (the tables sit behind row-level security and migrations run as the
application role). On other databases nothing is installed and the list counts the requests.
"""

import django.db.models.deletion
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


def _requests_delta(rows: str, sign: str) -> str:
    """Each cycle's change from the counted requests in ``rows`` (a transition table)."""
    return f"""
        SELECT p.cycle_id,
               {sign} count(*) FILTER (WHERE r.status <> 'nominated') AS invited,
               {sign} count(*) FILTER (WHERE r.status = 'submitted') AS responded
        FROM {rows} r JOIN feedback_participant p ON p.id = r.participant_id
        WHERE r.pulse_id IS NULL AND r.relationship <> 'self'
        GROUP BY p.cycle_id"""


def _apply(delta: str) -> str:
    return f"""
        UPDATE feedback_cyclecounts c
        SET invited = c.invited + d.invited, responded = c.responded + d.responded
        FROM (SELECT cycle_id, sum(invited) AS invited, sum(responded) AS responded
              FROM ({delta}) x GROUP BY cycle_id ORDER BY cycle_id) d
        WHERE c.cycle_id = d.cycle_id AND (d.invited <> 0 OR d.responded <> 0);"""


TRIGGERS = f"""
CREATE FUNCTION feedback_cyclecounts_new_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feedback_cyclecounts (organization_id, cycle_id, learners, invited, responded)
    SELECT organization_id, id, 0, 0, 0 FROM new_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_new_cycle AFTER INSERT ON feedback_cycle
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_new_cycle();

CREATE FUNCTION feedback_cyclecounts_participants_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_cyclecounts c SET learners = c.learners + d.n
    FROM (SELECT cycle_id, count(*) AS n FROM new_rows GROUP BY cycle_id ORDER BY cycle_id) d
    WHERE c.cycle_id = d.cycle_id;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_participants_added AFTER INSERT ON feedback_participant
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_participants_added();

CREATE FUNCTION feedback_cyclecounts_participants_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_cyclecounts c SET learners = c.learners - d.n
    FROM (SELECT cycle_id, count(*) AS n FROM old_rows GROUP BY cycle_id ORDER BY cycle_id) d
    WHERE c.cycle_id = d.cycle_id;
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_participants_removed AFTER DELETE ON feedback_participant
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_participants_removed();

CREATE FUNCTION feedback_cyclecounts_requests_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_requests_delta("new_rows", ""))}
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_requests_added AFTER INSERT ON feedback_raterrequest
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_requests_added();

CREATE FUNCTION feedback_cyclecounts_requests_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_requests_delta("new_rows", "") + " UNION ALL " + _requests_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_requests_changed AFTER UPDATE ON feedback_raterrequest
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_requests_changed();

CREATE FUNCTION feedback_cyclecounts_requests_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_apply(_requests_delta("old_rows", "-"))}
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_cyclecounts_requests_removed AFTER DELETE ON feedback_raterrequest
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION feedback_cyclecounts_requests_removed();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS feedback_cyclecounts_new_cycle ON feedback_cycle;
DROP TRIGGER IF EXISTS feedback_cyclecounts_participants_added ON feedback_participant;
DROP TRIGGER IF EXISTS feedback_cyclecounts_participants_removed ON feedback_participant;
DROP TRIGGER IF EXISTS feedback_cyclecounts_requests_added ON feedback_raterrequest;
DROP TRIGGER IF EXISTS feedback_cyclecounts_requests_changed ON feedback_raterrequest;
DROP TRIGGER IF EXISTS feedback_cyclecounts_requests_removed ON feedback_raterrequest;
DROP FUNCTION IF EXISTS feedback_cyclecounts_new_cycle();
DROP FUNCTION IF EXISTS feedback_cyclecounts_participants_added();
DROP FUNCTION IF EXISTS feedback_cyclecounts_participants_removed();
DROP FUNCTION IF EXISTS feedback_cyclecounts_requests_added();
DROP FUNCTION IF EXISTS feedback_cyclecounts_requests_changed();
DROP FUNCTION IF EXISTS feedback_cyclecounts_requests_removed();
"""

BACKFILL = """
INSERT INTO feedback_cyclecounts (organization_id, cycle_id, learners, invited, responded)
SELECT c.organization_id, c.id,
       (SELECT count(*) FROM feedback_participant p WHERE p.cycle_id = c.id),
       (SELECT count(*) FROM feedback_raterrequest r
        JOIN feedback_participant p ON p.id = r.participant_id
        WHERE p.cycle_id = c.id AND r.pulse_id IS NULL AND r.relationship <> 'self'
          AND r.status <> 'nominated'),
       (SELECT count(*) FROM feedback_raterrequest r
        JOIN feedback_participant p ON p.id = r.participant_id
        WHERE p.cycle_id = c.id AND r.pulse_id IS NULL AND r.relationship <> 'self'
          AND r.status = 'submitted')
FROM feedback_cycle c
WHERE NOT EXISTS (SELECT 1 FROM feedback_cyclecounts k WHERE k.cycle_id = c.id)
"""


def count_existing_cycles(apps, schema_editor):
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
        ("feedback", "0002_row_level_security"),
        ("organizations", "0012_people_imports_in_outbox"),
    ]

    operations = [
        migrations.CreateModel(
            name="CycleCounts",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("learners", models.IntegerField(default=0)),
                ("invited", models.IntegerField(default=0)),
                ("responded", models.IntegerField(default=0)),
                (
                    "cycle",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="feedback.cycle",
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
                        fields=("organization", "cycle"), name="fb_cyclecounts_unique"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("CycleCounts"),
        PostgresSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunPython(count_existing_cycles, migrations.RunPython.noop),
    ]
