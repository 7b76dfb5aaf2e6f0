"""Row-level security on every tenant table of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("MilestoneTemplate"),
        EnableRowLevelSecurity("ProjectTemplate"),
        EnableRowLevelSecurity("ProjectTemplateCompetency"),
    ]
