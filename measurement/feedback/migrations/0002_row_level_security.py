"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("Answer"),
        EnableRowLevelSecurity("Comment"),
        EnableRowLevelSecurity("CompetencyScore"),
        EnableRowLevelSecurity("Cycle"),
        EnableRowLevelSecurity("Item"),
        EnableRowLevelSecurity("Participant"),
        EnableRowLevelSecurity("Pulse"),
        EnableRowLevelSecurity("RaterRequest"),
        EnableRowLevelSecurity("Report"),
    ]
