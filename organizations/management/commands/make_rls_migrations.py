"""``python manage.py make_rls_migrations``: add row-level security for new tenant tables.

Run it after ``makemigrations``. It finds tenant models whose app's migrations never enable RLS
for them and writes one migration per app with ``EnableRowLevelSecurity`` for each. The
``pathwise.E003`` system check (and the PostgreSQL tests) catch a table that was missed.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db.migrations.loader import MigrationLoader

from organizations.checks import tenant_models
from organizations.tenancy import EnableRowLevelSecurity

TEMPLATE = '''"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("{app}", "{parent}")]

    operations = [
{operations}
    ]
'''


class Command(BaseCommand):
    help = "Write migrations that enable row-level security on tenant tables that lack it."

    def handle(self, *args: object, **options: object) -> None:
        loader = MigrationLoader(None, ignore_no_migrations=True)
        covered: dict[str, set[str]] = {}
        for (app_label, _name), migration in loader.disk_migrations.items():
            for op in migration.operations:
                if isinstance(op, EnableRowLevelSecurity):
                    covered.setdefault(app_label, set()).add(op.model_name.lower())
        missing: dict[str, list[str]] = {}
        for model in tenant_models():
            label = model._meta.app_label
            if model.__name__.lower() not in covered.get(label, set()):
                missing.setdefault(label, []).append(model.__name__)
        if not missing:
            self.stdout.write("Every tenant table already has row-level security.")
            return
        for app_label, names in sorted(missing.items()):
            leaves = loader.graph.leaf_nodes(app_label)
            if len(leaves) != 1:
                self.stderr.write(f"{app_label}: resolve migration conflicts first ({leaves}).")
                continue
            parent = leaves[0][1]
            number = int(parent.split("_")[0]) + 1
            path = Path(apps.get_app_config(app_label).path) / "migrations"
            target = path / f"{number:04d}_row_level_security.py"
            operations = "\n".join(
                f'        EnableRowLevelSecurity("{name}"),' for name in sorted(names)
            )
            target.write_text(TEMPLATE.format(app=app_label, parent=parent, operations=operations))
            self.stdout.write(f"Wrote {target.relative_to(Path.cwd())}: {', '.join(sorted(names))}")
