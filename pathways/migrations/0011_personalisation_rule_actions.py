"""Personalisation rules get two distinct actions.

"skip_at_least" (skip when baseline >= T) meant exactly what "include_below" (keep only when
baseline < T) means, so existing rows become "include_below" with the same threshold and every
learner keeps the same steps. The new "include_at_least" makes a stretch step for stronger
learners.

The rows sit behind row-level security and migrations run as the application role, so on
PostgreSQL each organisation is set in turn, as the tenant context does for a request.
"""

from django.db import migrations, models


def skip_at_least_to_include_below(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    PersonalisationRule = apps.get_model("pathways", "PersonalisationRule")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            PersonalisationRule.objects.filter(
                organization_id=org_id, action="skip_at_least"
            ).update(action="include_below")
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("pathways", "0010_mentoring_one_active_request")]

    operations = [
        migrations.RunPython(skip_at_least_to_include_below, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="personalisationrule",
            name="action",
            field=models.CharField(
                choices=[
                    ("include_below", "Include only if baseline is below"),
                    ("include_at_least", "Include only if baseline is at least"),
                ],
                max_length=20,
            ),
        ),
    ]
