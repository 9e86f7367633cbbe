"""The audit log's chain fields, nullable or empty until 0003 chains the existing rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="actor_pk",
            field=models.BigIntegerField(
                blank=True, help_text="The actor's id when the row was written (hashed).", null=True
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="personal",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Names, titles and free text; not hashed, erasable.",
            ),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_digest",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="digest",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True),
        ),
    ]
