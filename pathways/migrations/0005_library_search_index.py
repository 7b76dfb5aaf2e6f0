# Full-text search over the module library: a GIN expression index on PostgreSQL only.
# The expression is exactly the document built in pathways.library.search._postgres_text_search,
# so the planner can use it. Under FORCE ROW LEVEL SECURITY PostgreSQL applies the tenant policy
# before the non-leakproof @@ operator, so a tenant's search filters that tenant's rows by the
# organization index; the GIN index serves roles outside the policy (maintenance, reporting).

from django.db import migrations

import organizations.tenancy


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0004_row_level_security"),
    ]

    operations = [
        organizations.tenancy.PostgresSQL(
            "CREATE INDEX IF NOT EXISTS module_fts ON pathways_module USING gin ("
            "to_tsvector('english'::regconfig, COALESCE(title, '') || ' ' || "
            "COALESCE(summary, '') || ' ' || COALESCE(body, '')))",
            "DROP INDEX IF EXISTS module_fts",
        ),
    ]
