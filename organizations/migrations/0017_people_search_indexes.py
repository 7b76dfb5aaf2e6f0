"""The people page's search and status filters served by indexes: a partial index of the users
without a usable password (every backend), and on PostgreSQL trigram indexes on the users' names
and addresses for ``ILIKE '%text%'`` where the pg_trgm extension can be created."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, migrations, models, transaction

TRIGRAM_INDEXES = {
    "user_full_name_trgm": "full_name",
    "user_email_trgm": "email",
}


def add_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    """Create pg_trgm (a trusted extension: the database's owner may) and the indexes. A role
    that may not create it leaves the search as it was, read in name order without them."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    with connection.cursor() as cursor:
        for name, column in TRIGRAM_INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON organizations_user "
                f"USING gin ({column} gin_trgm_ops)"
            )


def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0016_user_name_order"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                condition=models.Q(("password__startswith", "!")),
                fields=["full_name", "email", "id"],
                name="user_no_password",
            ),
        ),
        migrations.RunPython(add_trigram_indexes, drop_trigram_indexes),
    ]
