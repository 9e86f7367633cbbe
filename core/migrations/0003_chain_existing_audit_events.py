"""Chain the audit rows written before the chain existed, in id order, so that they verify.

Each row gets its ``sequence``, ``actor_pk`` (a copy of ``actor_id``), ``prev_digest`` and
``digest``. The personal values that older callers kept in ``details`` (titles, paths, file
names, free text) move to ``personal`` first, as the callers now write them, so that they
stay erasable. Rows are read with a cursor and written in batches: memory stays bounded on
a large log. The chain's key is ``settings.AUDIT_HMAC_KEY`` at the time this runs.
"""

from django.db import migrations, models

from core.audit_chain import GENESIS, audit_key, chain_digest

BATCH = 1000

# Which details keys of each action were personal, as the callers wrote them until now.
PERSONAL_KEYS = {
    "import.uploaded": ("name",),
    "import.finished": ("error",),
    "import.cancelled": ("error",),
    "space.created": ("key",),
    "space.imported": ("archive",),
    "page.renamed": ("old_title", "new_title"),
    "page.moved": ("old_path", "new_path"),
    "page.deleted": ("title", "path"),
    "page.undeleted": ("title", "path"),
    "page.tags_set": ("before", "after"),
    "attachment.uploaded": ("name",),
    "attachment.deleted": ("name",),
}
FIELDS = ["sequence", "actor_pk", "details", "personal", "prev_digest", "digest"]


def chain_existing_rows(apps, schema_editor) -> None:  # noqa: ANN001
    AuditEvent = apps.get_model("core", "AuditEvent")
    key = audit_key()
    prev_digest = GENESIS
    batch = []
    events = AuditEvent.objects.using(schema_editor.connection.alias)
    for sequence, row in enumerate(events.order_by("id").iterator(chunk_size=BATCH), start=1):
        personal_keys = PERSONAL_KEYS.get(row.action, ())
        details = dict(row.details or {})
        personal = {name: details.pop(name) for name in personal_keys if name in details}
        row.sequence = sequence
        row.actor_pk = row.actor_id
        row.details = details
        row.personal = {**personal, **(row.personal or {})}
        row.prev_digest = prev_digest
        row.digest = chain_digest(row, prev_digest=prev_digest, key=key)
        prev_digest = row.digest
        batch.append(row)
        if len(batch) >= BATCH:
            events.bulk_update(batch, FIELDS)
            batch = []
    if batch:
        events.bulk_update(batch, FIELDS)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_auditevent_chain_fields"),
    ]

    operations = [
        # Going back leaves the chain fields filled; 0002's reversal drops them.
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(sequence__gte=1), name="core_audit_sequence"
            ),
        ),
    ]
