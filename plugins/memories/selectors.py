"""Every read of the memories plugin, each checked against who is asking.

Who sees what:

- An appreciation note: its author and its recipient; once the recipient chose, also the
  members of the team they picked (team) or the readers of the space they picked (space).
- A story: its author and the people named in it; the other members of its team only
  once every named person approved it (a decline, or a named person whose account was
  deactivated and who so can no longer decline, keeps it hidden).
- A farewell board: the person leaving and the members of the team. Until the last day
  every message on it; afterwards the team sees only the messages the subject kept (and
  each writer their own).
- A team's rituals: its members; a ritual with a space also the readers of that space.

Staff rights give nothing extra. Deactivated accounts disappear from every list at once:
what they wrote or received is no longer listed, and they are offered nowhere as a
recipient, a named person or a keeper. The one thing that stays is a farewell board's
kept messages, which the person leaving chose to leave to the team.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.models import Membership, Team
from plugins.memories.models import (
    AppreciationNote,
    FarewellBoard,
    FarewellMessage,
    Story,
    StoryPerson,
    TeamRitual,
    Visibility,
)
from wiki.models import Space
from wiki.selectors.access import editable_space_ids, readable_spaces_q

User = get_user_model()


def _signed_in(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _member_of_team_q(user: AbstractBaseUser, team_field: str = "team_id") -> Q:
    """Rows whose ``team_field`` is a team ``user`` belongs to (any role)."""
    return Q(Exists(Membership.objects.filter(team_id=OuterRef(team_field), user_id=user.pk)))


# --- People, teams and spaces ------------------------------------------------------------------


def list_teams_for_member(*, user: AbstractBaseUser) -> QuerySet[Team]:
    """The teams ``user`` is a member of, by name (nothing for the signed-out or inactive)."""
    if not _signed_in(user):
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).distinct().order_by("name", "pk")


def get_team_for_member(*, slug: str, user: AbstractBaseUser) -> Team:
    """The team with ``slug`` if ``user`` is one of its members, else 404."""
    team = list_teams_for_member(user=user).filter(slug=slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


def list_team_members(*, team: Team) -> QuerySet:
    """The active members of ``team``, by name."""
    return (
        User.objects.filter(is_active=True, memberships__team=team)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def list_colleagues(*, user: AbstractBaseUser) -> QuerySet:
    """The active people who share a team with ``user`` (not ``user``): whom they may thank."""
    if not _signed_in(user):
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, memberships__team__memberships__user=user)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def list_shared_teams(*, user: AbstractBaseUser, other_id: int) -> QuerySet[Team]:
    """The teams both ``user`` and the person ``other_id`` belong to."""
    return list_teams_for_member(user=user).filter(memberships__user_id=other_id).distinct()


def teams_shared_with(*, user: AbstractBaseUser) -> dict[int, list[Team]]:
    """For each person sharing a team with ``user``: the teams they share (two queries,
    for the visibility choice of a whole list of notes)."""
    teams = list_teams_for_member(user=user).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.only("team_id", "user_id"))
    )
    shared: dict[int, list[Team]] = {}
    for team in teams:
        for membership in team.memberships.all():
            shared.setdefault(membership.user_id, []).append(team)
    return shared


def list_readable_spaces(*, user: AbstractBaseUser) -> QuerySet[Space]:
    """The wiki spaces ``user`` reads, by name: where a recipient may share a note."""
    if not _signed_in(user):
        return Space.objects.none()
    return Space.objects.filter(readable_spaces_q(user)).order_by("name", "pk")


def list_editable_spaces(*, user: AbstractBaseUser) -> QuerySet[Space]:
    """The wiki spaces ``user`` edits, by name: where a ritual may be offered to the Q&A
    (its readers may then be answered from it, so it is like writing in the space)."""
    if not _signed_in(user):
        return Space.objects.none()
    return Space.objects.filter(pk__in=editable_space_ids(user)).order_by("name", "pk")


# --- Appreciation notes ------------------------------------------------------------------------


def _visible_notes(*, user: AbstractBaseUser) -> QuerySet[AppreciationNote]:
    if not _signed_in(user):
        return AppreciationNote.objects.none()
    readable = Space.objects.filter(readable_spaces_q(user))
    return AppreciationNote.objects.filter(
        author__is_active=True, recipient__is_active=True
    ).filter(
        Q(author=user)
        | Q(recipient=user)
        | (Q(visibility=Visibility.TEAM) & _member_of_team_q(user))
        | Q(visibility=Visibility.SPACE, space__in=readable)
    )


def list_notes_for_user(*, user: AbstractBaseUser) -> list[AppreciationNote]:
    """The notes ``user`` may read, newest first: to them, by them, and shared with them."""
    return list(
        _visible_notes(user=user)
        .select_related("author", "recipient", "team", "space")
        .order_by("-created_at", "-pk")
    )


def list_notes_in_space(*, space: Space, user: AbstractBaseUser) -> list[AppreciationNote]:
    """The notes their recipients shared with the readers of ``space``, newest first."""
    return list(
        _visible_notes(user=user)
        .filter(visibility=Visibility.SPACE, space=space)
        .select_related("author", "recipient", "space")
        .order_by("-created_at", "-pk")
    )


def get_note_for_user(*, note_id: int, user: AbstractBaseUser) -> AppreciationNote:
    """A note ``user`` may read, else 404."""
    note = (
        _visible_notes(user=user)
        .select_related("author", "recipient", "team", "space")
        .filter(pk=note_id)
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    return note


# --- Stories -----------------------------------------------------------------------------------


def _approved_by_everyone_q() -> Q:
    """Stories every named person approved (vacuously true when no one is named), and
    named no one who can no longer answer."""
    open_answer = StoryPerson.objects.filter(story_id=OuterRef("pk")).filter(
        ~Q(answer=StoryPerson.Answer.APPROVED) | Q(user__is_active=False)
    )
    return ~Q(Exists(open_answer))


def _visible_stories(*, user: AbstractBaseUser) -> QuerySet[Story]:
    if not _signed_in(user):
        return Story.objects.none()
    named = StoryPerson.objects.filter(story_id=OuterRef("pk"), user_id=user.pk)
    return Story.objects.filter(author__is_active=True).filter(
        Q(author=user) | Q(Exists(named)) | (_member_of_team_q(user) & _approved_by_everyone_q())
    )


def _with_people(stories: QuerySet[Story]) -> QuerySet[Story]:
    people = StoryPerson.objects.select_related("user").order_by("pk")
    return stories.select_related("author", "team").prefetch_related(
        Prefetch("people", queryset=people, to_attr="all_people")
    )


def _people_listed(stories: list[Story]) -> list[Story]:
    # Everyone named, and those still active: only they are listed.
    for story in stories:
        story.active_people = [person for person in story.all_people if person.user.is_active]
    return stories


def list_stories_for_user(*, user: AbstractBaseUser) -> list[Story]:
    """The stories ``user`` may read, newest first, each with ``active_people``."""
    return _people_listed(
        list(_with_people(_visible_stories(user=user)).order_by("-created_at", "-pk"))
    )


def get_story_for_user(*, story_id: int, user: AbstractBaseUser) -> Story:
    """A story ``user`` may read (with ``active_people``), else 404."""
    story = _with_people(_visible_stories(user=user)).filter(pk=story_id).first()
    if story is None:
        raise Http404("No such story.")
    return _people_listed([story])[0]


def story_status(story: Story) -> str:
    """``shown`` (everyone named approved), ``declined`` (someone declined) or ``waiting``.

    Deactivated people count too: one who can no longer answer keeps it waiting.
    """
    people = getattr(story, "all_people", None)
    if people is None:
        people = list(story.people.select_related("user"))
    if any(person.answer == StoryPerson.Answer.DECLINED for person in people):
        return "declined"
    if all(
        person.answer == StoryPerson.Answer.APPROVED and person.user.is_active for person in people
    ):
        return "shown"
    return "waiting"


# --- Farewell boards ---------------------------------------------------------------------------


def _visible_boards(*, user: AbstractBaseUser) -> QuerySet[FarewellBoard]:
    if not _signed_in(user):
        return FarewellBoard.objects.none()
    return FarewellBoard.objects.filter(Q(subject=user) | _member_of_team_q(user))


def list_boards_for_user(*, user: AbstractBaseUser) -> list[FarewellBoard]:
    """The farewell boards ``user`` may open (their own and their teams'), latest last day
    first."""
    return list(
        _visible_boards(user=user).select_related("subject", "team").order_by("-closes_on", "-pk")
    )


def get_board_for_user(*, board_id: int, user: AbstractBaseUser) -> FarewellBoard:
    """A farewell board ``user`` may open, else 404."""
    board = _visible_boards(user=user).select_related("subject", "team").filter(pk=board_id).first()
    if board is None:
        raise Http404("No such farewell board.")
    return board


def get_board_for_case(*, case_id: int) -> FarewellBoard | None:
    """The farewell board of a handover case, if it was opened."""
    return FarewellBoard.objects.filter(case_id=case_id).select_related("subject", "team").first()


def board_is_open(board: FarewellBoard, *, today: date | None = None) -> bool:
    """Teammates write on a board until the subject's last day, that day included."""
    return (today or timezone.localdate()) <= board.closes_on


def _visible_messages(*, board: FarewellBoard, user: AbstractBaseUser) -> QuerySet[FarewellMessage]:
    messages = FarewellMessage.objects.filter(board=board, author__is_active=True)
    if user.pk == board.subject_id or board_is_open(board):
        return messages
    return messages.filter(Q(kept_at__isnull=False) | Q(author=user))


def list_messages_on_board(
    *, board: FarewellBoard, user: AbstractBaseUser
) -> list[FarewellMessage]:
    """The messages on an (already access-checked) board that ``user`` may read, oldest
    first."""
    return list(
        _visible_messages(board=board, user=user).select_related("author").order_by("created_at")
    )


def get_message_for_user(*, message_id: int, user: AbstractBaseUser) -> FarewellMessage:
    """A farewell message ``user`` may read, on a board they may open, else 404."""
    message = (
        FarewellMessage.objects.filter(pk=message_id, board__in=_visible_boards(user=user))
        .select_related("board", "board__subject", "board__team", "author")
        .first()
    )
    if (
        message is None
        or not _visible_messages(board=message.board, user=user).filter(pk=message.pk).exists()
    ):
        raise Http404("No such message.")
    return message


# --- Team rituals ------------------------------------------------------------------------------


def _with_keepers(rituals: QuerySet[TeamRitual]) -> QuerySet[TeamRitual]:
    keepers = User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return rituals.select_related("team", "space").prefetch_related(
        Prefetch("keepers", queryset=keepers, to_attr="active_keepers")
    )


def list_rituals(*, team_id: int) -> list[TeamRitual]:
    """The (already access-checked) team's rituals and duties, each with
    ``active_keepers``: rituals first, then duties, by what they are."""
    rituals_first = Case(When(kind=TeamRitual.Kind.RITUAL, then=0), default=1)
    return list(
        _with_keepers(TeamRitual.objects.filter(team_id=team_id)).order_by(
            rituals_first, "what", "pk"
        )
    )


def get_ritual_for_member(*, ritual_id: int, user: AbstractBaseUser) -> TeamRitual:
    """A ritual of one of ``user``'s teams (to edit or delete), else 404."""
    if not _signed_in(user):
        raise Http404("No such ritual.")
    ritual = (
        _with_keepers(TeamRitual.objects.filter(_member_of_team_q(user)))
        .filter(pk=ritual_id)
        .first()
    )
    if ritual is None:
        raise Http404("No such ritual.")
    return ritual


def get_ritual_for_user(*, ritual_id: int, user: AbstractBaseUser) -> TeamRitual:
    """A ritual ``user`` may read: a member of its team, or a reader of its space; else 404."""
    if not _signed_in(user):
        raise Http404("No such ritual.")
    readable = Space.objects.filter(readable_spaces_q(user))
    ritual = (
        _with_keepers(TeamRitual.objects.filter(_member_of_team_q(user) | Q(space__in=readable)))
        .filter(pk=ritual_id)
        .first()
    )
    if ritual is None:
        raise Http404("No such ritual.")
    return ritual


def list_indexed_rituals() -> list[TeamRitual]:
    """Every ritual with a space, for the Q&A index (the index checks its readers)."""
    return list(_with_keepers(TeamRitual.objects.filter(space__isnull=False)).order_by("pk"))


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def ritual_sentence(ritual: TeamRitual, *, leaving_user_id: int | None = None) -> str:
    """One sentence for a handover draft: what, when, why, and who keeps it going (saying
    so when the keeper is the person leaving). In the active language."""
    values = {"what": ritual.what.rstrip(" ."), "when": ritual.when.rstrip(" .")}
    if ritual.kind == TeamRitual.Kind.DUTY:
        parts = [_("Recurring duty: %(what)s, %(when)s.") % values]
    else:
        parts = [_("%(what)s, %(when)s.") % values]
    if ritual.why:
        parts.append(_("Why: %(why)s") % {"why": " ".join(ritual.why.split())})
    keepers = list(ritual.active_keepers)
    if keepers:
        parts.append(
            _("Kept going by %(keepers)s.") % {"keepers": ", ".join(_name(p) for p in keepers)}
        )
    leaving = next((p for p in keepers if p.pk == leaving_user_id), None)
    if leaving is not None:
        parts.append(_("%(name)s is leaving, so it needs a new keeper.") % {"name": _name(leaving)})
    elif not keepers:
        parts.append(_("No one keeps it going yet."))
    # Chinese sentences follow each other without a space.
    separator = "" if (get_language() or "").startswith("zh") else " "
    return separator.join(str(part) for part in parts)


# --- A person's data ---------------------------------------------------------------------------


def _iso(moment: object) -> str | None:
    return moment.isoformat() if moment else None


def person_export_rows(*, user_id: int) -> tuple[dict, ...]:
    """Everything the plugin holds about or by the person ``user_id``, as plain rows.

    One list, each row saying what it is (``record``), rather than a file per kind: the
    export's manifest counts the rows of each file, and a file of the notes someone
    received would be a count of their thanks, which this plugin never shows anywhere.
    """
    rows: list[dict] = []
    notes = AppreciationNote.objects.filter(Q(author_id=user_id) | Q(recipient_id=user_id))
    for note in notes.select_related("team", "space").order_by("created_at", "pk"):
        rows.append(
            {
                "record": "note_written" if note.author_id == user_id else "note_received",
                "id": note.pk,
                "author_id": note.author_id,
                "recipient_id": note.recipient_id,
                "text": note.text,
                "visibility": note.visibility,
                "team": note.team.slug if note.team else None,
                "space": note.space.key if note.space else None,
                "created_at": _iso(note.created_at),
            }
        )
    stories = (
        Story.objects.filter(Q(author_id=user_id) | Q(people__user_id=user_id))
        .distinct()
        .select_related("team")
        .prefetch_related("people")
        .order_by("created_at", "pk")
    )
    for story in stories:
        own = next((p for p in story.people.all() if p.user_id == user_id), None)
        rows.append(
            {
                "record": "story_written" if story.author_id == user_id else "story_naming_me",
                "id": story.pk,
                "team": story.team.slug,
                "author_id": story.author_id,
                "title": story.title,
                "text": story.text,
                "named_user_ids": [p.user_id for p in story.people.all()],
                "my_answer": own.answer if own else None,
                "created_at": _iso(story.created_at),
                "updated_at": _iso(story.updated_at),
            }
        )
    messages = (
        FarewellMessage.objects.filter(Q(author_id=user_id) | Q(board__subject_id=user_id))
        .select_related("board", "board__team")
        .order_by("created_at", "pk")
    )
    for message in messages:
        rows.append(
            {
                "record": (
                    "farewell_message_written"
                    if message.author_id == user_id
                    else "farewell_message_to_me"
                ),
                "id": message.pk,
                "board_id": message.board_id,
                "team": message.board.team.slug,
                "author_id": message.author_id,
                "text": message.text,
                "kept_at": _iso(message.kept_at),
                "created_at": _iso(message.created_at),
            }
        )
    rituals = (
        TeamRitual.objects.filter(keepers__id=user_id)
        .distinct()
        .select_related("team", "space")
        .order_by("created_at", "pk")
    )
    for ritual in rituals:
        rows.append(
            {
                "record": "ritual_i_keep",
                "id": ritual.pk,
                "team": ritual.team.slug,
                "kind": ritual.kind,
                "what": ritual.what,
                "when": ritual.when,
                "why": ritual.why,
                "space": ritual.space.key if ritual.space else None,
                "updated_at": _iso(ritual.updated_at),
            }
        )
    return tuple(rows)
