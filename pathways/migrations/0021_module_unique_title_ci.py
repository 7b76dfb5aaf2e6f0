"""Module titles are unique per organisation whatever their case. Titles already repeated get a
number, in the order the modules were made ("Feedback", "feedback (2)", …), before the
constraint is added; the first keeps its title. Nothing else about a module changes.

The rows sit behind row-level security and migrations run as the application role, so on
PostgreSQL each organisation is set in turn, as the tenant context does for a request.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Lower

TITLE_MAX = 200


def _free_title(title: str, n: int, taken: set[str]) -> str:
    while True:
        suffix = f" ({n})"
        candidate = title[: TITLE_MAX - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1


def number_repeated_titles(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    Module = apps.get_model("pathways", "Module")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            rows = list(
                Module.objects.filter(organization_id=org_id)
                .order_by("created_at", "pk")
                .values_list("pk", "title")
            )
            taken = {title.lower() for _pk, title in rows}
            seen: dict[str, int] = {}
            for pk, title in rows:
                key = title.lower()
                seen[key] = seen.get(key, 0) + 1
                if seen[key] == 1:
                    continue
                new_title = _free_title(title, seen[key], taken)
                taken.add(new_title.lower())
                Module.objects.filter(pk=pk).update(title=new_title)
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("pathways", "0020_stepcompletion_step_index")]

    operations = [
        migrations.RunPython(number_repeated_titles, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="module",
            constraint=models.UniqueConstraint(
                F("organization"), Lower("title"), name="module_unique_title_ci"
            ),
        ),
    ]
