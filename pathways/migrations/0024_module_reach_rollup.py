"""The library's reach of each module (learners who opened it, who completed it) as a roll-up
row per module, behind row-level security, filled in from the activity facts so far.

Migrations run as the application role, so on PostgreSQL each organisation is set in turn, as
the tenant context does for a request.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count

from organizations.tenancy import EnableRowLevelSecurity

# The events counted and the column each fills (as pathways.services.REACH_VERBS today).
REACH_VERBS = {"experienced": "opened", "completed": "completed"}


def fill_organisation(apps, org_id):
    ActivityEvent = apps.get_model("pathways", "ActivityEvent")
    Module = apps.get_model("pathways", "Module")
    ModuleReach = apps.get_model("pathways", "ModuleReach")
    counts = {}
    for object_id, verb, n in (
        ActivityEvent.objects.filter(
            organization_id=org_id, verb__in=list(REACH_VERBS), object_type="module"
        )
        .values("object_id", "verb")
        .annotate(n=Count("actor_id", distinct=True))
        .values_list("object_id", "verb", "n")
    ):
        counts[(object_id, verb)] = n
    rows = [
        ModuleReach(
            organization_id=org_id,
            module_id=module_id,
            **{
                column: counts.get((str(module_id), verb), 0)
                for verb, column in REACH_VERBS.items()
            },
        )
        for module_id in Module.objects.filter(organization_id=org_id).values_list("pk", flat=True)
    ]
    ModuleReach.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def fill_module_reach(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            fill_organisation(apps, org_id)
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0016_user_name_order"),
        ("pathways", "0023_stage_group_titles_unique"),
    ]

    operations = [
        migrations.CreateModel(
            name="ModuleReach",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("opened", models.PositiveIntegerField(default=0)),
                ("completed", models.PositiveIntegerField(default=0)),
                (
                    "module",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="pathways.module",
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
                        fields=("organization", "module"), name="modulereach_unique_module"
                    )
                ],
            },
        ),
        EnableRowLevelSecurity("ModuleReach"),
        migrations.RunPython(fill_module_reach, migrations.RunPython.noop),
    ]
