"""Programme health reads one row per cohort and period, kept by the progress roll-ups.

The rows of the periods already rolled up are summed here from the learners' rows, so the
pages show the same figures before the next roll-up. The roll-up tables sit behind
row-level security and migrations run as the application role, so on PostgreSQL each
organisation is set in turn.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from organizations.tenancy import EnableRowLevelSecurity

SUM_LEARNER_ROWS = """
INSERT INTO measurement_cohortprogressrollup (
    organization_id, cohort_id, period, counted, not_started, steps_done, steps_total,
    steps_overdue, learners_overdue, computed_at)
SELECT organization_id, cohort_id, period, COUNT(*),
       SUM(CASE WHEN steps_done = 0 THEN 1 ELSE 0 END), SUM(steps_done), SUM(steps_total),
       SUM(steps_overdue), SUM(CASE WHEN steps_overdue > 0 THEN 1 ELSE 0 END), MAX(computed_at)
FROM measurement_learnerprogressrollup
WHERE organization_id = %s AND cohort_id IS NOT NULL
GROUP BY organization_id, cohort_id, period
"""


def sum_learner_rows(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        try:
            for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
                if postgres:
                    cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
                cursor.execute(SUM_LEARNER_ROWS, [org_id])
        finally:
            if postgres:
                cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):

    dependencies = [
        ('measurement', '0013_rollup_indexes_and_keys'),
        ('organizations', '0016_user_name_order'),
        ('pathways', '0022_admin_page_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='CohortProgressRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('period', models.DateField()),
                ('counted', models.PositiveIntegerField()),
                ('not_started', models.PositiveIntegerField()),
                ('steps_done', models.PositiveIntegerField()),
                ('steps_total', models.PositiveIntegerField()),
                ('steps_overdue', models.PositiveIntegerField()),
                ('learners_overdue', models.PositiveIntegerField()),
                ('computed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cohort', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='pathways.cohort')),
                ('organization', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organizations.organization')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('organization', 'period', 'cohort'), name='cohortrollup_unique')],
            },
        ),
        EnableRowLevelSecurity("CohortProgressRollup"),
        migrations.RunPython(sum_learner_rows, migrations.RunPython.noop),
    ]
