"""Row-level security on every tenant table of this app (no-op on SQLite)."""

from django.db import migrations

from organizations.tenancy import EnableRowLevelSecurity, PostgresSQL


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("AuditEntry"),
        EnableRowLevelSecurity("Membership"),
        EnableRowLevelSecurity("Team"),
        # Before an organisation is chosen, a user may read their own memberships (switcher).
        PostgresSQL(
            "CREATE POLICY own_memberships ON organizations_membership FOR SELECT USING "
            "(user_id = nullif((select current_setting('app.user_id', true)), '')::bigint)",
            "DROP POLICY IF EXISTS own_memberships ON organizations_membership",
        ),
    ]
