"""Row-level security on every tenant table of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("competencies", "0002_initial")]

    operations = [
        EnableRowLevelSecurity("BehaviouralIndicator"),
        EnableRowLevelSecurity("Competency"),
        EnableRowLevelSecurity("Framework"),
        EnableRowLevelSecurity("PriorityAlignment"),
        EnableRowLevelSecurity("ProficiencyLevel"),
        EnableRowLevelSecurity("StrategicPriority"),
    ]
