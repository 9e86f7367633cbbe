"""Every read of the relationships plugin, each checked against who is asking.

Who sees whom: a person sees the manual, map topics and notes of the *active* people
who share a team with them, and their own. Staff rights give nothing extra here: this
is what people wrote about themselves and each other, not something to oversee. A
vetoed note is seen only by the person it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from core.compiled_queries import CompiledQuery
from plugins.relationships.models import AskMeTopic, PersonNote, WorkingManual, topic_key

User = get_user_model()


def list_people_for_user(*, user: AbstractBaseUser) -> QuerySet:
    """The active people ``user`` may see here: those sharing a team with them, and
    themselves."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk=user.pk) | Q(memberships__team__memberships__user=user))
        .distinct()
    )


def get_person_for_user(*, person_id: int, user: AbstractBaseUser) -> AbstractBaseUser:
    """The person with ``person_id`` if ``user`` may see them here, else 404."""
    person = list_people_for_user(user=user).filter(pk=person_id).first()
    if person is None:
        raise Http404("No such person.")
    return person


def get_working_manual(*, person: AbstractBaseUser) -> WorkingManual | None:
    """The (already access-checked) person's manual, if they wrote one."""
    return WorkingManual.objects.filter(user=person).first()


def list_ask_me_topics(*, person: AbstractBaseUser) -> QuerySet[AskMeTopic]:
    """The (already access-checked) person's map topics, alphabetically."""
    return AskMeTopic.objects.filter(user=person).order_by("key", "pk")


def get_own_topic(*, topic_id: int, user: AbstractBaseUser) -> AskMeTopic:
    """One of ``user``'s own map topics, else 404."""
    topic = AskMeTopic.objects.filter(pk=topic_id, user=user).first()
    if topic is None:
        raise Http404("No such topic.")
    return topic


@dataclass(frozen=True)
class MapEntry:
    """A person on the map and the topics of theirs that matched."""

    person: AbstractBaseUser
    topics: tuple[AskMeTopic, ...]


def search_ask_me_map(*, user: AbstractBaseUser, query: str = "") -> list[MapEntry]:
    """Who to ask about what: the people ``user`` may see who put themselves on the map,
    with their topics that contain ``query`` (all of them for an empty query).

    Matching is on ``topic_key`` (NFKC, case-folded) by substring, so "Billing" finds
    "billing migration", "ＡＰＩ" finds "API" and "账单" finds "账单迁移". One query for
    the people, one for their topics.
    """
    key = topic_key(query)
    topics = AskMeTopic.objects.order_by("key", "pk")
    if key:
        topics = topics.filter(key__contains=key)
    people = (
        list_people_for_user(user=user)
        .filter(pk__in=topics.values("user_id"))
        .prefetch_related(Prefetch("ask_me_topics", queryset=topics, to_attr="matched_topics"))
        .order_by("first_name", "last_name", "username")
    )
    return [MapEntry(person=person, topics=tuple(person.matched_topics)) for person in people]


def _visible_notes(*, user: AbstractBaseUser) -> QuerySet[PersonNote]:
    people = list_people_for_user(user=user)
    return PersonNote.objects.filter(
        Q(about=user) | Q(about__in=people.values("pk"), vetoed_at__isnull=True)
    )


def list_notes_about(*, person: AbstractBaseUser, user: AbstractBaseUser) -> list[PersonNote]:
    """The notes about ``person`` that ``user`` may read, newest first: all of them for the
    person themselves (vetoed ones included), the unvetoed ones for their teammates."""
    return list(
        _visible_notes(user=user)
        .filter(about=person)
        .select_related("author", "about", "edited_by")
        .order_by("-created_at", "-pk")
    )


def _notes_to_look_at(user_id: int) -> QuerySet[PersonNote]:
    return PersonNote.objects.filter(
        about_id=user_id,
        seen_by_subject_at__isnull=True,
        vetoed_at__isnull=True,
        author__is_active=True,
    )


# Counted for the "People" link of every signed-in page: compiled once per process.
_NOTES_TO_LOOK_AT = CompiledQuery(_notes_to_look_at, user_id=-2_147_000_001)


def count_notes_to_look_at(*, user_id: int) -> int:
    """How many notes about the person ``user_id`` they have not looked at yet (new, or
    changed by their author); only ever shown to that person themselves."""
    return _NOTES_TO_LOOK_AT.count(user_id=int(user_id))


def get_note_for_user(*, note_id: int, user: AbstractBaseUser) -> PersonNote:
    """A note ``user`` may read, else 404 (a vetoed note is found only by its subject)."""
    note = _visible_notes(user=user).select_related("author", "about").filter(pk=note_id).first()
    if note is None:
        raise Http404("No such note.")
    return note


def may_change_note(*, note: PersonNote, user: AbstractBaseUser) -> bool:
    """The person it is about may always change it; its author while it is not vetoed."""
    return note.about_id == user.pk or (note.author_id == user.pk and not note.is_vetoed)


def person_export_rows(*, user_id: int) -> dict[str, tuple[dict, ...]]:
    """Everything the plugin holds about the person ``user_id``, as plain rows by kind:
    their manual, their map topics, the notes they wrote and the notes about them
    (vetoed ones included: the person is owed all of it)."""
    manual = WorkingManual.objects.filter(user_id=user_id).first()
    note_fields = ("id", "about_id", "author_id", "text", "vetoed_at", "created_at", "updated_at")

    def note_rows(notes: QuerySet[PersonNote]) -> tuple[dict, ...]:
        return tuple(
            {
                **{name: getattr(note, name) for name in note_fields},
                "vetoed_at": note.vetoed_at.isoformat() if note.vetoed_at else None,
                "seen_by_subject_at": (
                    note.seen_by_subject_at.isoformat() if note.seen_by_subject_at else None
                ),
                "created_at": note.created_at.isoformat(),
                "updated_at": note.updated_at.isoformat(),
            }
            for note in notes.order_by("created_at", "pk")
        )

    return {
        "working_manual": (
            (
                {
                    "how_to_ask": manual.how_to_ask,
                    "hours": manual.hours,
                    "glad_to_help": manual.glad_to_help,
                    "updated_at": manual.updated_at.isoformat(),
                },
            )
            if manual
            else ()
        ),
        "ask_me_topics": tuple(
            {"id": t.pk, "topic": t.topic, "created_at": t.created_at.isoformat()}
            for t in AskMeTopic.objects.filter(user_id=user_id).order_by("key", "pk")
        ),
        "notes_written": note_rows(PersonNote.objects.filter(author_id=user_id)),
        "notes_about_me": note_rows(PersonNote.objects.filter(about_id=user_id)),
    }
