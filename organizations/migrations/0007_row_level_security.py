"""Row-level security on new tenant tables of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity


class Migration(migrations.Migration):
    dependencies = [("organizations", "0006_api_keys")]

    operations = [
        EnableRowLevelSecurity("ApiKey"),
    ]
