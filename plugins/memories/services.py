"""Every write of the memories plugin: one function per use case, keyword-only, each in its
own transaction with an audit row.

Audit rows carry ids and states only, never what was written, and never a count: the text
is the people's own and stays in the rows they can see, export and delete. A farewell
board's rows are scoped to the board (``farewell:<id>``), not to the handover case, so
the case's timeline, which its managers read, does not show who wrote or kept what.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Membership, Team
from core.services import record_audit_event
from plugins.memories import selectors
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.models import (
    MESSAGE_LENGTH,
    NOTE_LENGTH,
    RITUAL_FIELD_LENGTH,
    RITUAL_WHY_LENGTH,
    STORY_LENGTH,
    STORY_TITLE_LENGTH,
    AppreciationNote,
    FarewellBoard,
    FarewellMessage,
    Story,
    StoryPerson,
    TeamRitual,
    Visibility,
)
from wiki.models import Space

HOOKS_MODULE = "plugins.memories.hooks"


def _text(value: str, *, limit: int, empty: str, too_long: str) -> str:
    value = (value or "").strip()
    if not value:
        raise MemoriesError(empty)
    if len(value) > limit:
        raise MemoriesError(too_long % {"n": limit})
    return value


# --- Appreciation notes ------------------------------------------------------------------------


@transaction.atomic
def write_appreciation_note(
    *, author: AbstractBaseUser, recipient: AbstractBaseUser, text: str
) -> AppreciationNote:
    """A note of thanks from ``author`` to a colleague; only the two of them see it until
    the recipient chooses who else may."""
    if recipient.pk == author.pk:
        raise MemoriesError(_("Thank someone else: a note is for a colleague."))
    if not selectors.list_colleagues(user=author).filter(pk=recipient.pk).exists():
        raise MemoriesPermissionError(_("You can thank only people in your teams."))
    text = _text(
        text,
        limit=NOTE_LENGTH,
        empty=_("Write your note of thanks."),
        too_long=_("A note of thanks is at most %(n)d characters."),
    )
    note = AppreciationNote.objects.create(author=author, recipient=recipient, text=text)
    record_audit_event(
        actor=author,
        action="memories.note_written",
        target=note,
        scope=f"user:{recipient.pk}",
    )
    return note


@transaction.atomic
def set_note_visibility(
    *,
    note: AppreciationNote,
    by: AbstractBaseUser,
    visibility: str,
    team: Team | None = None,
    space: Space | None = None,
) -> AppreciationNote:
    """The recipient chooses who reads a note: only the two of them, the members of a team
    both belong to, or the readers of a space the recipient reads. They may change it."""
    note = AppreciationNote.objects.select_for_update().get(pk=note.pk)
    if note.recipient_id != by.pk:
        raise MemoriesPermissionError(_("Only the person thanked chooses who sees a note."))
    if visibility == Visibility.TEAM:
        if (
            team is None
            or not selectors.list_shared_teams(user=by, other_id=note.author_id)
            .filter(pk=team.pk)
            .exists()
        ):
            raise MemoriesError(_("Choose a team you both belong to."))
        space = None
    elif visibility == Visibility.SPACE:
        if (
            space is None
            or not selectors.list_readable_spaces(user=by).filter(pk=space.pk).exists()
        ):
            raise MemoriesError(_("Choose a wiki space you can read."))
        team = None
    elif visibility == Visibility.PRIVATE:
        team = space = None
    else:
        raise MemoriesError(_("Choose who may see the note."))
    note.visibility, note.team, note.space = visibility, team, space
    note.save(update_fields=["visibility", "team", "space", "updated_at"])
    record_audit_event(
        actor=by,
        action="memories.note_visibility_set",
        target=note,
        scope=f"user:{by.pk}",
        details={
            "visibility": visibility,
            "team_id": team.pk if team else None,
            "space_id": space.pk if space else None,
        },
    )
    return note


@transaction.atomic
def delete_appreciation_note(*, note: AppreciationNote, by: AbstractBaseUser) -> None:
    """Delete a note: its author or its recipient may."""
    if by.pk not in (note.author_id, note.recipient_id):
        raise MemoriesPermissionError(_("You cannot delete this note of thanks."))
    record_audit_event(
        actor=by,
        action="memories.note_deleted",
        target=note,
        scope=f"user:{note.recipient_id}",
        details={"by_recipient": by.pk == note.recipient_id},
    )
    AppreciationNote.objects.filter(pk=note.pk).delete()


# --- Stories -----------------------------------------------------------------------------------


def _story_text(title: str, text: str) -> tuple[str, str]:
    title = _text(
        title,
        limit=STORY_TITLE_LENGTH,
        empty=_("Give the story a title."),
        too_long=_("A title is at most %(n)d characters."),
    )
    text = _text(
        text,
        limit=STORY_LENGTH,
        empty=_("Write the story."),
        too_long=_("A story is at most %(n)d characters."),
    )
    return title, text


@transaction.atomic
def write_story(
    *,
    team: Team,
    author: AbstractBaseUser,
    title: str,
    text: str,
    named: Iterable[AbstractBaseUser] = (),
) -> Story:
    """A story of the team by one of its members, naming teammates (never its author).

    The team sees it only once every named person approved it.
    """
    if not Membership.objects.filter(team=team, user=author).exists():
        raise MemoriesPermissionError(_("You can write stories only for your own teams."))
    title, text = _story_text(title, text)
    named_ids = {user.pk for user in named} - {author.pk}
    members = set(
        selectors.list_team_members(team=team).filter(pk__in=named_ids).values_list("pk", flat=True)
    )
    if named_ids - members:
        raise MemoriesError(_("Name only active members of the team."))
    story = Story.objects.create(team=team, author=author, title=title, text=text)
    StoryPerson.objects.bulk_create(
        [StoryPerson(story=story, user_id=user_id) for user_id in sorted(named_ids)]
    )
    record_audit_event(
        actor=author,
        action="memories.story_written",
        target=story,
        scope=f"team:{team.pk}",
        details={"named_user_ids": sorted(named_ids)},
    )
    return story


@transaction.atomic
def edit_story(*, story: Story, by: AbstractBaseUser, title: str, text: str) -> Story:
    """Its author changes a story; any change asks every named person again (their
    approvals and declines are reset), so the team sees no text someone did not approve."""
    story = Story.objects.select_for_update().get(pk=story.pk)
    if story.author_id != by.pk:
        raise MemoriesPermissionError(_("Only the author can change a story."))
    title, text = _story_text(title, text)
    if (title, text) == (story.title, story.text):
        return story
    story.title, story.text = title, text
    story.save(update_fields=["title", "text", "updated_at"])
    story.people.update(answer=StoryPerson.Answer.PENDING, answered_at=None)
    record_audit_event(
        actor=by,
        action="memories.story_edited",
        target=story,
        scope=f"team:{story.team_id}",
        details={"answers_reset": True},
    )
    return story


@transaction.atomic
def answer_story(*, story: Story, by: AbstractBaseUser, approve: bool) -> StoryPerson:
    """A named person approves a story, or declines it, which hides it from the team at
    once; either may be changed later (a decline after an approval hides it again)."""
    person = (
        StoryPerson.objects.select_for_update().filter(story_id=story.pk, user_id=by.pk).first()
    )
    if person is None:
        raise MemoriesPermissionError(_("Only the people named in a story answer for it."))
    answer = StoryPerson.Answer.APPROVED if approve else StoryPerson.Answer.DECLINED
    if person.answer != answer:
        person.answer, person.answered_at = answer, timezone.now()
        person.save(update_fields=["answer", "answered_at"])
        record_audit_event(
            actor=by,
            action="memories.story_approved" if approve else "memories.story_declined",
            target=story,
            scope=f"team:{story.team_id}",
        )
    return person


@transaction.atomic
def delete_story(*, story: Story, by: AbstractBaseUser) -> None:
    """Delete a story: its author may."""
    if story.author_id != by.pk:
        raise MemoriesPermissionError(_("Only the author can delete a story."))
    record_audit_event(
        actor=by, action="memories.story_deleted", target=story, scope=f"team:{story.team_id}"
    )
    Story.objects.filter(pk=story.pk).delete()


# --- Farewell boards ---------------------------------------------------------------------------


@transaction.atomic
def open_farewell_board(
    *, case_id: int, subject_id: int, team_id: int, last_day: date
) -> FarewellBoard:
    """The farewell board of a handover case, opened the first time (idempotent: a second
    call returns it, with the case's last day brought up to date)."""
    board, created = FarewellBoard.objects.select_for_update().get_or_create(
        case_id=case_id,
        defaults={"subject_id": subject_id, "team_id": team_id, "closes_on": last_day},
    )
    if created:
        record_audit_event(
            actor=None,
            action="memories.board_opened",
            target=board,
            scope=f"farewell:{board.pk}",
            details={"team_id": team_id, "case_id": case_id},
        )
    elif board.closes_on != last_day:
        board.closes_on = last_day
        board.save(update_fields=["closes_on"])
    return board


@transaction.atomic
def write_farewell_message(
    *, board: FarewellBoard, author: AbstractBaseUser, text: str
) -> FarewellMessage:
    """A member of the team writes on an open board (the person leaving reads, not writes)."""
    if author.pk == board.subject_id:
        raise MemoriesPermissionError(_("This board is for you: your team writes on it."))
    if not Membership.objects.filter(team_id=board.team_id, user=author).exists():
        raise MemoriesPermissionError(_("Only members of the team write on its farewell board."))
    if not selectors.board_is_open(board):
        raise MemoriesError(_("This board closed on the last day; nothing more can be added."))
    text = _text(
        text,
        limit=MESSAGE_LENGTH,
        empty=_("Write the message."),
        too_long=_("A message is at most %(n)d characters."),
    )
    message = FarewellMessage.objects.create(board=board, author=author, text=text)
    record_audit_event(
        actor=author,
        action="memories.farewell_written",
        target=message,
        scope=f"farewell:{board.pk}",
    )
    return message


def _subject_message(message: FarewellMessage, by: AbstractBaseUser) -> FarewellMessage:
    message = FarewellMessage.objects.select_for_update().select_related("board").get(pk=message.pk)
    if message.board.subject_id != by.pk:
        raise MemoriesPermissionError(_("Only the person leaving chooses what is kept."))
    return message


@transaction.atomic
def keep_farewell_message(*, message: FarewellMessage, by: AbstractBaseUser) -> FarewellMessage:
    """The person leaving keeps a message: it stays for the team after their last day.
    The choice is final."""
    message = _subject_message(message, by)
    if not message.is_kept:
        message.kept_at = timezone.now()
        message.save(update_fields=["kept_at"])
        record_audit_event(
            actor=by,
            action="memories.farewell_kept",
            target=message,
            scope=f"farewell:{message.board_id}",
        )
    return message


@transaction.atomic
def discard_farewell_message(*, message: FarewellMessage, by: AbstractBaseUser) -> None:
    """The person leaving does not keep a message: it is deleted at once (final)."""
    message = _subject_message(message, by)
    if message.is_kept:
        raise MemoriesError(_("You chose to keep this message; that choice is final."))
    record_audit_event(
        actor=by,
        action="memories.farewell_not_kept",
        target=message,
        scope=f"farewell:{message.board_id}",
    )
    FarewellMessage.objects.filter(pk=message.pk).delete()


@transaction.atomic
def delete_farewell_message(*, message: FarewellMessage, by: AbstractBaseUser) -> None:
    """Its writer deletes a message, kept or not."""
    if message.author_id != by.pk:
        raise MemoriesPermissionError(_("Only its writer can delete a message."))
    record_audit_event(
        actor=by,
        action="memories.farewell_deleted",
        target=message,
        scope=f"farewell:{message.board_id}",
    )
    FarewellMessage.objects.filter(pk=message.pk).delete()


# --- Team rituals ------------------------------------------------------------------------------


def _index_changed() -> None:
    """Tell the Q&A index, once the transaction commits, that our documents changed."""
    from plugins import signals

    transaction.on_commit(lambda: signals.index_documents_changed.send(sender=HOOKS_MODULE))


def _may_offer(*, space: Space | None, ritual: TeamRitual | None, by: AbstractBaseUser) -> bool:
    """No space; the space the ritual already had; or a space ``by`` edits."""
    if space is None or (ritual is not None and space.pk == ritual.space_id):
        return True
    return selectors.list_editable_spaces(user=by).filter(pk=space.pk).exists()


@transaction.atomic
def save_team_ritual(
    *,
    team: Team,
    by: AbstractBaseUser,
    kind: str,
    what: str,
    when: str,
    why: str = "",
    keepers: Iterable[AbstractBaseUser] = (),
    space: Space | None = None,
    ritual: TeamRitual | None = None,
) -> TeamRitual:
    """A member adds a ritual or recurring duty of their team, or changes one (``ritual``).

    Keepers are active members of the team. A space is one ``by`` edits (its readers may
    then be answered from the ritual); a space chosen earlier by someone else may stay.
    """
    if not Membership.objects.filter(team=team, user=by).exists():
        raise MemoriesPermissionError(_("Only members of the team keep its rituals."))
    if ritual is not None:
        ritual = TeamRitual.objects.select_for_update().get(pk=ritual.pk)
        if ritual.team_id != team.pk:
            raise MemoriesPermissionError(_("This ritual belongs to another team."))
    if kind not in TeamRitual.Kind.values:
        raise MemoriesError(_("Choose whether it is a ritual or a recurring duty."))
    too_long = _("At most %(n)d characters.")
    what = _text(what, limit=RITUAL_FIELD_LENGTH, empty=_("Say what it is."), too_long=too_long)
    when = _text(
        when, limit=RITUAL_FIELD_LENGTH, empty=_("Say when it happens."), too_long=too_long
    )
    why = (why or "").strip()
    if len(why) > RITUAL_WHY_LENGTH:
        raise MemoriesError(too_long % {"n": RITUAL_WHY_LENGTH})
    keeper_ids = {user.pk for user in keepers}
    members = set(
        selectors.list_team_members(team=team)
        .filter(pk__in=keeper_ids)
        .values_list("pk", flat=True)
    )
    if keeper_ids - members:
        raise MemoriesError(_("Keepers are active members of the team."))
    if not _may_offer(space=space, ritual=ritual, by=by):
        raise MemoriesError(_("Choose a wiki space you can edit."))
    created = ritual is None
    was_indexed = ritual is not None and ritual.space_id is not None
    if ritual is None:
        ritual = TeamRitual(team=team, created_by=by)
    ritual.kind, ritual.what, ritual.when, ritual.why = kind, what, when, why
    ritual.space, ritual.updated_by = space, by
    if created:
        ritual.save()
    else:
        ritual.save(
            update_fields=["kind", "what", "when", "why", "space", "updated_by", "updated_at"]
        )
    # Deactivated keepers are kept out of every list but are not dropped from the row by
    # someone else's edit: only active members are offered, so keep the inactive ones.
    inactive = set(ritual.keepers.filter(is_active=False).values_list("pk", flat=True))
    ritual.keepers.set(keeper_ids | inactive)
    record_audit_event(
        actor=by,
        action="memories.ritual_added" if created else "memories.ritual_changed",
        target=ritual,
        scope=f"team:{team.pk}",
        details={"kind": kind, "space_id": space.pk if space else None},
    )
    if was_indexed or space is not None:
        _index_changed()
    return ritual


@transaction.atomic
def delete_team_ritual(*, ritual: TeamRitual, by: AbstractBaseUser) -> None:
    """A member of the team deletes one of its rituals."""
    if not Membership.objects.filter(team_id=ritual.team_id, user=by).exists():
        raise MemoriesPermissionError(_("Only members of the team keep its rituals."))
    record_audit_event(
        actor=by,
        action="memories.ritual_deleted",
        target=ritual,
        scope=f"team:{ritual.team_id}",
    )
    indexed = ritual.space_id is not None
    TeamRitual.objects.filter(pk=ritual.pk).delete()
    if indexed:
        _index_changed()
