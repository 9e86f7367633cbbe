"""Add a pg_trgm index for substring search where the server offers pg_trgm.

The embedded PostgreSQL bundles only pgvector, so the extension is optional: without it the
ILIKE fallback still works, just without an index, and Chinese is served by the bigram
tsvector either way.
"""

from django.db import migrations


def create_trigram_index(apps, schema_editor) -> None:  # noqa: ANN001
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS wiki_page_text_trgm "
            "ON wiki_page USING gin (search_text gin_trgm_ops)"
        )


def drop_trigram_index(apps, schema_editor) -> None:  # noqa: ANN001
    schema_editor.execute("DROP INDEX IF EXISTS wiki_page_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("wiki", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
