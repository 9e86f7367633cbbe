"""Every write of the relationships plugin: one function per use case, keyword-only, each
in its own transaction with an audit row.

Audit rows carry ids and states only, never what was written: the text is the person's
and stays in the rows they can see, export and delete.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.services import record_audit_event
from plugins.relationships import selectors
from plugins.relationships.errors import (
    NotePermissionError,
    RelationshipsError,
    TopicPermissionError,
)
from plugins.relationships.models import (
    NOTE_LENGTH,
    TOPIC_LENGTH,
    AskMeTopic,
    PersonNote,
    WorkingManual,
    topic_key,
)


def _scope(user_id: int) -> str:
    return f"user:{user_id}"


@transaction.atomic
def save_working_manual(
    *, user: AbstractBaseUser, how_to_ask: str, hours: str, glad_to_help: str
) -> WorkingManual:
    """Write ``user``'s own manual (create it the first time); only they ever write it."""
    manual, created = WorkingManual.objects.get_or_create(user=user)
    manual.how_to_ask = how_to_ask.strip()
    manual.hours = hours.strip()
    manual.glad_to_help = glad_to_help.strip()
    manual.save(update_fields=["how_to_ask", "hours", "glad_to_help", "updated_at"])
    record_audit_event(
        actor=user,
        action="relationships.manual_saved",
        target=manual,
        scope=_scope(user.pk),
        details={"created": created, "empty": manual.is_empty},
    )
    return manual


@transaction.atomic
def add_ask_me_topic(*, user: AbstractBaseUser, topic: str) -> AskMeTopic:
    """Put ``user`` on the map for ``topic``; a topic they already listed (in any case or
    width) is returned as it is."""
    text = " ".join(topic.split())
    key = topic_key(text)
    if not key:
        raise RelationshipsError(_("Write a topic."))
    if len(text) > TOPIC_LENGTH or len(key) > TOPIC_LENGTH:
        raise RelationshipsError(_("A topic is at most %(n)d characters.") % {"n": TOPIC_LENGTH})
    entry, created = AskMeTopic.objects.get_or_create(user=user, key=key, defaults={"topic": text})
    if created:
        record_audit_event(
            actor=user,
            action="relationships.topic_added",
            target=entry,
            scope=_scope(user.pk),
        )
    return entry


@transaction.atomic
def remove_ask_me_topic(*, topic: AskMeTopic, by: AbstractBaseUser) -> None:
    """Take one of ``by``'s own topics off the map, at once."""
    if topic.user_id != by.pk:
        raise TopicPermissionError(_("Only the person on the map can take a topic off it."))
    record_audit_event(
        actor=by,
        action="relationships.topic_removed",
        target=topic,
        scope=_scope(by.pk),
    )
    topic.delete()


def _clean_note(text: str) -> str:
    text = text.strip()
    if not text:
        raise RelationshipsError(_("Write the note."))
    if len(text) > NOTE_LENGTH:
        raise RelationshipsError(_("A note is at most %(n)d characters.") % {"n": NOTE_LENGTH})
    return text


@transaction.atomic
def write_person_note(
    *, about: AbstractBaseUser, author: AbstractBaseUser, text: str
) -> PersonNote:
    """A note by ``author`` about a teammate ``about``, which ``about`` sees at once."""
    if about.pk == author.pk:
        raise NotePermissionError(
            _("Notes are written by teammates; what you say about yourself goes in your manual.")
        )
    if not selectors.list_people_for_user(user=author).filter(pk=about.pk).exists():
        raise NotePermissionError(_("You can write notes only about people in your teams."))
    note = PersonNote.objects.create(about=about, author=author, text=_clean_note(text))
    record_audit_event(
        actor=author,
        action="relationships.note_written",
        target=note,
        scope=_scope(about.pk),
        details={"about_id": about.pk},
    )
    return note


@transaction.atomic
def edit_person_note(*, note: PersonNote, by: AbstractBaseUser, text: str) -> PersonNote:
    """Change a note's text: the person it is about may, and its author while it is not
    vetoed."""
    note = PersonNote.objects.select_for_update().get(pk=note.pk)
    if not selectors.may_change_note(note=note, user=by):
        raise NotePermissionError(_("You cannot change this note."))
    note.text = _clean_note(text)
    note.edited_by = by
    # The person it is about sees a change by its author as new; their own edit, not.
    note.seen_by_subject_at = timezone.now() if by.pk == note.about_id else None
    note.save(update_fields=["text", "edited_by", "seen_by_subject_at", "updated_at"])
    record_audit_event(
        actor=by,
        action="relationships.note_edited",
        target=note,
        scope=_scope(note.about_id),
        details={"by_subject": by.pk == note.about_id},
    )
    return note


@transaction.atomic
def set_person_note_veto(*, note: PersonNote, by: AbstractBaseUser, vetoed: bool) -> PersonNote:
    """Veto (hide from everyone else, at once) or restore a note; only the person it is
    about may."""
    note = PersonNote.objects.select_for_update().get(pk=note.pk)
    if note.about_id != by.pk:
        raise NotePermissionError(_("Only the person a note is about can veto it."))
    if vetoed != note.is_vetoed:
        note.vetoed_at = timezone.now() if vetoed else None
        note.seen_by_subject_at = note.seen_by_subject_at or timezone.now()
        note.save(update_fields=["vetoed_at", "seen_by_subject_at", "updated_at"])
        record_audit_event(
            actor=by,
            action="relationships.note_vetoed" if vetoed else "relationships.note_restored",
            target=note,
            scope=_scope(note.about_id),
        )
    return note


@transaction.atomic
def keep_person_note(*, note: PersonNote, by: AbstractBaseUser) -> PersonNote:
    """The person a note is about has read it and keeps it as it is (it is not new any more)."""
    note = PersonNote.objects.select_for_update().get(pk=note.pk)
    if note.about_id != by.pk:
        raise NotePermissionError(_("Only the person a note is about can keep it."))
    if note.seen_by_subject_at is None:
        note.seen_by_subject_at = timezone.now()
        note.save(update_fields=["seen_by_subject_at"])
        record_audit_event(
            actor=by,
            action="relationships.note_kept",
            target=note,
            scope=_scope(note.about_id),
        )
    return note


@transaction.atomic
def delete_person_note(*, note: PersonNote, by: AbstractBaseUser) -> None:
    """Delete a note: its author or the person it is about may."""
    if by.pk not in (note.author_id, note.about_id):
        raise NotePermissionError(_("You cannot delete this note."))
    record_audit_event(
        actor=by,
        action="relationships.note_deleted",
        target=note,
        scope=_scope(note.about_id),
        details={"by_subject": by.pk == note.about_id},
    )
    PersonNote.objects.filter(pk=note.pk).delete()
