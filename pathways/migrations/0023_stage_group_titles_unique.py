"""Stage and elective-group titles are unique within their pathway version whatever their case,
and a step holds a personalisation rule once. Titles already repeated in a version get a number,
in the order the rows were made ("Practise", "practise (2)", …), before the constraints are
added; the first keeps its title. A rule repeated exactly (same competency, action, baseline
and threshold) decides nothing its first copy does not, so the later copies are deleted.

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


def _number_repeated_titles(model, org_id: int) -> None:
    rows = list(
        model.objects.filter(organization_id=org_id)
        .order_by("version_id", "pk")
        .values_list("pk", "version_id", "title")
    )
    taken: dict[int, set[str]] = {}
    for _pk, version_id, title in rows:
        taken.setdefault(version_id, set()).add(title.lower())
    seen: dict[tuple[int, str], int] = {}
    for pk, version_id, title in rows:
        key = (version_id, title.lower())
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            continue
        new_title = _free_title(title, seen[key], taken[version_id])
        taken[version_id].add(new_title.lower())
        model.objects.filter(pk=pk).update(title=new_title)


def _delete_repeated_rules(model, org_id: int) -> None:
    kept: set[tuple] = set()
    repeated = []
    fields = ("step_id", "competency_id", "action", "source", "threshold")
    for pk, *rule in (
        model.objects.filter(organization_id=org_id).order_by("pk").values_list("pk", *fields)
    ):
        if tuple(rule) in kept:
            repeated.append(pk)
        kept.add(tuple(rule))
    if repeated:
        model.objects.filter(pk__in=repeated).delete()


def make_unique(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    Stage = apps.get_model("pathways", "Stage")
    ElectiveGroup = apps.get_model("pathways", "ElectiveGroup")
    PersonalisationRule = apps.get_model("pathways", "PersonalisationRule")
    postgres = schema_editor.connection.vendor == "postgresql"
    with schema_editor.connection.cursor() as cursor:
        for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
            if postgres:
                cursor.execute("select set_config('app.org_id', %s, true)", [str(org_id)])
            _number_repeated_titles(Stage, org_id)
            _number_repeated_titles(ElectiveGroup, org_id)
            _delete_repeated_rules(PersonalisationRule, org_id)
        if postgres:
            cursor.execute("select set_config('app.org_id', '', true)")


class Migration(migrations.Migration):
    dependencies = [("pathways", "0022_admin_page_indexes")]

    operations = [
        migrations.RunPython(make_unique, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="stage",
            constraint=models.UniqueConstraint(
                F("organization"), F("version"), Lower("title"), name="stage_unique_title_ci"
            ),
        ),
        migrations.AddConstraint(
            model_name="electivegroup",
            constraint=models.UniqueConstraint(
                F("organization"),
                F("version"),
                Lower("title"),
                name="electivegroup_unique_title_ci",
            ),
        ),
        migrations.AddConstraint(
            model_name="personalisationrule",
            constraint=models.UniqueConstraint(
                fields=("organization", "step", "competency", "action", "source", "threshold"),
                name="personalisationrule_unique",
            ),
        ),
    ]
