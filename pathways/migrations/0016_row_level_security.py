"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("pathways", "0015_overdue_reminder")]

    operations = [
        EnableRowLevelSecurity("OverdueReminder"),
    ]
