"""Each module's ratings (raters, and the sums of their usefulness and relevance ratings) in its
``ModuleReach`` roll-up row, filled in from the reactions so far.

Migrations run as the application role, so on PostgreSQL each organisation is set in turn, as
the tenant context does for a request.
"""

from django.db import migrations, models
from django.db.models import Count, Sum


def fill_organisation(apps, org_id):
    ModuleReaction = apps.get_model("pathways", "ModuleReaction")
    ModuleReach = apps.get_model("pathways", "ModuleReach")
    ratings = {
        module_id: (n, useful, relevant)
        for module_id, n, useful, relevant in ModuleReaction.objects.filter(
            organization_id=org_id
        )
        .values("module_id")
        .annotate(n=Count("useful"), useful=Sum("useful"), relevant=Sum("relevant"))
        .values_list("module_id", "n", "useful", "relevant")
    }
    if not ratings:
        return
    ModuleReach.objects.bulk_create(
        [ModuleReach(organization_id=org_id, module_id=m) for m in ratings],
        batch_size=1000,
        ignore_conflicts=True,
    )
    rows = list(ModuleReach.objects.filter(organization_id=org_id, module_id__in=list(ratings)))
    for row in rows:
        row.ratings, row.useful_sum, row.relevant_sum = ratings[row.module_id]
    ModuleReach.objects.bulk_update(
        rows, ["ratings", "useful_sum", "relevant_sum"], batch_size=1000
    )


def fill_module_ratings(apps, schema_editor):
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
        ("pathways", "0025_coach_roster_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="modulereach",
            name="ratings",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="modulereach",
            name="relevant_sum",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="modulereach",
            name="useful_sum",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill_module_ratings, migrations.RunPython.noop),
    ]
