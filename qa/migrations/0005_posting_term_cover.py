import django.db.models.deletion
from django.db import migrations, models

# Postings carry their chunk's length and are read by term from one covering index, so a
# keyword query scores a term's postings without touching the table or the chunks.


class Migration(migrations.Migration):
    dependencies = [
        ("qa", "0004_plugin_chunks"),
    ]

    operations = [
        migrations.AddField(
            model_name="posting",
            name="chunk_length",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunSQL(
            "UPDATE qa_posting p SET chunk_length = c.length FROM qa_chunk c "
            "WHERE c.id = p.chunk_id AND p.chunk_length <> c.length",
            reverse_sql=migrations.RunSQL.noop,
        ),
        # The covering index before the plain one goes, so term lookups always have one.
        migrations.AddIndex(
            model_name="posting",
            index=models.Index(
                fields=["term"],
                include=("chunk", "frequency", "chunk_length"),
                name="qa_posting_term_cover",
            ),
        ),
        migrations.AlterField(
            model_name="posting",
            name="term",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="qa.term",
            ),
        ),
        # The chunk's own index (qa_posting_chunk_idx) stays; the foreign key's copy of it goes.
        migrations.AlterField(
            model_name="posting",
            name="chunk",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="postings",
                to="qa.chunk",
            ),
        ),
    ]
