"""HTML views of the memories plugin: thanks, stories, farewell boards and team rituals.

Every change is a POST that works without JavaScript (it redirects back, or shows the form
again with its errors and status 400); the recipient's visibility choice, a named
person's approve/decline and the subject's keep/not-keep also answer htmx with the
changed partial. Something the viewer may not read is a 404; something they may read
but not change is a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.htmx import fragment_or_redirect
from plugins.memories import selectors, services
from plugins.memories.errors import MemoriesError, MemoriesPermissionError
from plugins.memories.forms import (
    OUT_OF_SCOPE_HINT,
    FarewellMessageForm,
    NoteForm,
    NoteVisibilityForm,
    RitualForm,
    StoryEditForm,
    StoryForm,
)
from plugins.memories.models import AppreciationNote, FarewellBoard, FarewellMessage, Story

HOME = "plugins/memories/home.html"
THANKS = "plugins/memories/thanks.html"
STORIES = "plugins/memories/stories.html"
STORY = "plugins/memories/story.html"
BOARD = "plugins/memories/board.html"
RITUALS = "plugins/memories/rituals.html"
RITUAL = "plugins/memories/ritual.html"


def _form_status(form: object) -> int:
    return 400 if getattr(form, "is_bound", False) else 200


@login_required
@require_GET
def memories_home(request: HttpRequest) -> HttpResponse:
    """Where to go: thanks, stories, the farewell boards and the rituals of one's teams."""
    context = {
        "teams": list(selectors.list_teams_for_member(user=request.user)),
        "boards": selectors.list_boards_for_user(user=request.user),
    }
    return render(request, HOME, context)


# --- Appreciation notes ------------------------------------------------------------------------


def _note_items(request: HttpRequest, notes: list[AppreciationNote], **forms: object) -> list:
    user = request.user
    received = [note for note in notes if note.recipient_id == user.pk]
    shared = selectors.teams_shared_with(user=user) if received else {}
    spaces = list(selectors.list_readable_spaces(user=user)) if received else []
    return [
        _note_item(note, user, shared.get(note.author_id, []), spaces, forms.get(str(note.pk)))
        for note in notes
    ]


def _note_item(note: AppreciationNote, user, teams: list, spaces: list, form=None) -> dict:  # noqa: ANN001
    is_recipient = note.recipient_id == user.pk
    return {
        "note": note,
        "is_recipient": is_recipient,
        "may_delete": user.pk in (note.author_id, note.recipient_id),
        "visibility_form": (
            form or NoteVisibilityForm(note=note, teams=teams, spaces=spaces)
            if is_recipient
            else None
        ),
    }


def _thanks_context(request: HttpRequest, form: NoteForm | None = None, **forms: object) -> dict:
    notes = selectors.list_notes_for_user(user=request.user)
    return {
        "items": _note_items(request, notes, **forms),
        "form": form or NoteForm(user=request.user),
        "hint": OUT_OF_SCOPE_HINT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def thanks(request: HttpRequest) -> HttpResponse:
    """The notes of thanks the viewer may read, and writing one to a colleague."""
    if request.method == "GET":
        return render(request, THANKS, _thanks_context(request))
    form = NoteForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.write_appreciation_note(
                author=request.user,
                recipient=form.cleaned_data["recipient"],
                text=form.cleaned_data["text"],
            )
        except MemoriesPermissionError as error:
            raise PermissionDenied(str(error)) from error
        except MemoriesError as error:
            form.add_error("text", str(error))
        else:
            messages.success(
                request, _("Your note is saved. Only the two of you see it until they choose.")
            )
            return redirect("memories:thanks")
    return render(request, THANKS, _thanks_context(request, form=form), status=400)


@login_required
@require_POST
def note_visibility(request: HttpRequest, note_id: int) -> HttpResponse:
    """The recipient chooses who may read a note (htmx: the note alone comes back)."""
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    if note.recipient_id != request.user.pk:
        raise PermissionDenied(_("Only the person thanked chooses who sees a note."))
    teams = selectors.teams_shared_with(user=request.user).get(note.author_id, [])
    spaces = list(selectors.list_readable_spaces(user=request.user))
    form = NoteVisibilityForm(request.POST, note=note, teams=teams, spaces=spaces)
    saved = False
    if form.is_valid():
        try:
            note = services.set_note_visibility(
                note=note,
                by=request.user,
                visibility=form.cleaned_data["visibility"],
                team=form.cleaned_data["team"],
                space=form.cleaned_data["space"],
            )
        except MemoriesError as error:
            form.add_error(None, str(error))
        else:
            saved = True
            form = None
    if request.htmx:
        item = _note_item(note, request.user, teams, spaces, form)
        return render(request, f"{THANKS}#note", {"item": item, "saved": saved})
    if saved:
        messages.success(request, _("Saved: the note is shown as you chose."))
        return redirect(f"{reverse('memories:thanks')}#note-{note.pk}")
    return render(request, THANKS, _thanks_context(request, **{str(note.pk): form}), status=400)


@login_required
@require_POST
def note_delete(request: HttpRequest, note_id: int) -> HttpResponse:
    """Its author or its recipient deletes a note."""
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    try:
        services.delete_appreciation_note(note=note, by=request.user)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, _("The note of thanks is deleted."))
    return redirect("memories:thanks")


# --- Stories -----------------------------------------------------------------------------------


def _story_item(story: Story, user) -> dict:  # noqa: ANN001
    own = next((person for person in story.active_people if person.user_id == user.pk), None)
    return {
        "story": story,
        "status": selectors.story_status(story),
        "people": story.active_people,
        "own_answer": own.answer if own else None,
        "is_author": story.author_id == user.pk,
    }


def _stories_context(request: HttpRequest, form: StoryForm | None = None) -> dict:
    stories = selectors.list_stories_for_user(user=request.user)
    return {
        "items": [_story_item(story, request.user) for story in stories],
        "form": form or StoryForm(user=request.user),
        "hint": OUT_OF_SCOPE_HINT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def stories(request: HttpRequest) -> HttpResponse:
    """The stories the viewer may read, and writing one."""
    if request.method == "GET":
        return render(request, STORIES, _stories_context(request))
    form = StoryForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            story = services.write_story(
                team=data["team"],
                author=request.user,
                title=data["title"],
                text=data["text"],
                named=data["named"],
            )
        except MemoriesPermissionError as error:
            raise PermissionDenied(str(error)) from error
        except MemoriesError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Your story is saved. The team sees it once everyone named in it approved."),
            )
            return redirect("memories:story-detail", story_id=story.pk)
    return render(request, STORIES, _stories_context(request, form=form), status=400)


@login_required
@require_GET
def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    """One story, with who is named in it and whether it is shown to the team."""
    story = selectors.get_story_for_user(story_id=story_id, user=request.user)
    return render(request, STORY, {"item": _story_item(story, request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def story_edit(request: HttpRequest, story_id: int) -> HttpResponse:
    """Its author changes a story; everyone named in it is asked again."""
    story = selectors.get_story_for_user(story_id=story_id, user=request.user)
    if story.author_id != request.user.pk:
        raise PermissionDenied(_("Only the author can change a story."))
    if request.method == "GET":
        form = StoryEditForm.for_story(story)
    else:
        form = StoryEditForm(request.POST)
        if form.is_valid():
            try:
                services.edit_story(
                    story=story,
                    by=request.user,
                    title=form.cleaned_data["title"],
                    text=form.cleaned_data["text"],
                )
            except MemoriesError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("The story is changed; everyone named in it is asked again.")
                )
                return redirect("memories:story-detail", story_id=story.pk)
    context = {"item": _story_item(story, request.user), "form": form, "hint": OUT_OF_SCOPE_HINT}
    return render(request, STORY, context, status=_form_status(form))


def _answer(request: HttpRequest, story_id: int, *, approve: bool) -> HttpResponse:
    story = selectors.get_story_for_user(story_id=story_id, user=request.user)
    try:
        services.answer_story(story=story, by=request.user, approve=approve)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    story = selectors.get_story_for_user(story_id=story_id, user=request.user)
    return fragment_or_redirect(
        request,
        fragment=f"{STORY}#story",
        context={"item": _story_item(story, request.user)},
        to=reverse("memories:story-detail", kwargs={"story_id": story.pk}),
        notice=_("You approved the story.")
        if approve
        else _("You declined: the team does not see it."),
    )


@login_required
@require_POST
def story_approve(request: HttpRequest, story_id: int) -> HttpResponse:
    """A person named in a story approves it."""
    return _answer(request, story_id, approve=True)


@login_required
@require_POST
def story_decline(request: HttpRequest, story_id: int) -> HttpResponse:
    """A person named in a story declines it: it is hidden from the team at once."""
    return _answer(request, story_id, approve=False)


@login_required
@require_POST
def story_delete(request: HttpRequest, story_id: int) -> HttpResponse:
    """Its author deletes a story."""
    story = selectors.get_story_for_user(story_id=story_id, user=request.user)
    try:
        services.delete_story(story=story, by=request.user)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, _("The story is deleted."))
    return redirect("memories:stories")


# --- Farewell boards ---------------------------------------------------------------------------


def _message_item(message: FarewellMessage, board: FarewellBoard, user) -> dict:  # noqa: ANN001
    return {
        "message": message,
        "is_subject": board.subject_id == user.pk,
        "is_author": message.author_id == user.pk,
    }


def _board_context(request: HttpRequest, board: FarewellBoard, form=None) -> dict:  # noqa: ANN001
    user = request.user
    is_open = selectors.board_is_open(board)
    may_write = is_open and user.pk != board.subject_id
    return {
        "board": board,
        "is_subject": board.subject_id == user.pk,
        "is_open": is_open,
        "items": [
            _message_item(message, board, user)
            for message in selectors.list_messages_on_board(board=board, user=user)
        ],
        "form": (form or FarewellMessageForm()) if may_write else None,
        "hint": OUT_OF_SCOPE_HINT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def board_detail(request: HttpRequest, board_id: int) -> HttpResponse:
    """A farewell board: its messages, and writing one (the team, until the last day)."""
    board = selectors.get_board_for_user(board_id=board_id, user=request.user)
    if request.method == "GET":
        return render(request, BOARD, _board_context(request, board))
    form = FarewellMessageForm(request.POST)
    if form.is_valid():
        try:
            services.write_farewell_message(
                board=board, author=request.user, text=form.cleaned_data["text"]
            )
        except MemoriesPermissionError as error:
            raise PermissionDenied(str(error)) from error
        except MemoriesError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your message is on the board."))
            return redirect("memories:board", board_id=board.pk)
    context = _board_context(request, board, form=form)
    if context["form"] is None:
        # A closed board, or the subject: say why rather than drop what was written.
        context["refused"] = form.non_field_errors() or [_("You cannot write on this board.")]
        context["unsent"] = request.POST.get("text", "")
    return render(request, BOARD, context, status=400)


def _message_for(request: HttpRequest, message_id: int) -> FarewellMessage:
    return selectors.get_message_for_user(message_id=message_id, user=request.user)


@login_required
@require_POST
def message_keep(request: HttpRequest, message_id: int) -> HttpResponse:
    """The person leaving keeps a message for the team (final)."""
    message = _message_for(request, message_id)
    try:
        message = services.keep_farewell_message(message=message, by=request.user)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    return fragment_or_redirect(
        request,
        fragment=f"{BOARD}#message",
        context={"item": _message_item(message, message.board, request.user)},
        to=reverse("memories:board", kwargs={"board_id": message.board_id}),
        notice=_("Kept: the team keeps this message after your last day."),
    )


@login_required
@require_POST
def message_discard(request: HttpRequest, message_id: int) -> HttpResponse:
    """The person leaving does not keep a message: it is deleted at once (final)."""
    message = _message_for(request, message_id)
    try:
        services.discard_farewell_message(message=message, by=request.user)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    except MemoriesError as error:
        if request.htmx:
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
        return redirect("memories:board", board_id=message.board_id)
    return fragment_or_redirect(
        request,
        fragment=None,
        to=reverse("memories:board", kwargs={"board_id": message.board_id}),
        notice=_("Not kept: the message is deleted."),
    )


@login_required
@require_POST
def message_delete(request: HttpRequest, message_id: int) -> HttpResponse:
    """Its writer deletes a message."""
    message = _message_for(request, message_id)
    try:
        services.delete_farewell_message(message=message, by=request.user)
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    return fragment_or_redirect(
        request,
        fragment=None,
        to=reverse("memories:board", kwargs={"board_id": message.board_id}),
        notice=_("Your message is deleted."),
    )


# --- Team rituals ------------------------------------------------------------------------------


def _rituals_context(request: HttpRequest, team, form=None) -> dict:  # noqa: ANN001
    return {
        "team": team,
        "rituals": selectors.list_rituals(team_id=team.pk),
        "form": form or RitualForm(team=team, user=request.user),
        "hint": OUT_OF_SCOPE_HINT,
    }


def _save_ritual(request: HttpRequest, form: RitualForm, team, ritual=None):  # noqa: ANN001, ANN202
    data = form.cleaned_data
    try:
        return services.save_team_ritual(
            team=team,
            by=request.user,
            kind=data["kind"],
            what=data["what"],
            when=data["when"],
            why=data["why"],
            keepers=data["keepers"],
            space=data["space"],
            ritual=ritual,
        )
    except MemoriesPermissionError as error:
        raise PermissionDenied(str(error)) from error
    except MemoriesError as error:
        form.add_error(None, str(error))
        return None


@login_required
@require_http_methods(["GET", "POST"])
def team_rituals(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's rituals and recurring duties, and adding one (any member)."""
    team = selectors.get_team_for_member(slug=slug, user=request.user)
    if request.method == "GET":
        return render(request, RITUALS, _rituals_context(request, team))
    form = RitualForm(request.POST, team=team, user=request.user)
    if form.is_valid() and _save_ritual(request, form, team):
        messages.success(request, _("The ritual is saved."))
        return redirect("memories:rituals", slug=team.slug)
    return render(request, RITUALS, _rituals_context(request, team, form=form), status=400)


@login_required
@require_GET
def ritual_detail(request: HttpRequest, ritual_id: int) -> HttpResponse:
    """One ritual: for its team, and for the readers of the space it was offered to."""
    ritual = selectors.get_ritual_for_user(ritual_id=ritual_id, user=request.user)
    is_member = selectors.list_teams_for_member(user=request.user).filter(pk=ritual.team_id)
    return render(request, RITUAL, {"ritual": ritual, "is_member": is_member.exists()})


@login_required
@require_http_methods(["GET", "POST"])
def ritual_edit(request: HttpRequest, ritual_id: int) -> HttpResponse:
    """Any member of the team changes one of its rituals."""
    ritual = selectors.get_ritual_for_member(ritual_id=ritual_id, user=request.user)
    team = ritual.team
    if request.method == "GET":
        form = RitualForm(team=team, user=request.user, ritual=ritual)
    else:
        form = RitualForm(request.POST, team=team, user=request.user, ritual=ritual)
        if form.is_valid() and _save_ritual(request, form, team, ritual):
            messages.success(request, _("The ritual is saved."))
            return redirect("memories:rituals", slug=team.slug)
    context = {"ritual": ritual, "form": form, "hint": OUT_OF_SCOPE_HINT, "editing": True}
    return render(request, RITUAL, context, status=_form_status(form))


@login_required
@require_POST
def ritual_delete(request: HttpRequest, ritual_id: int) -> HttpResponse:
    """Any member of the team deletes one of its rituals."""
    ritual = selectors.get_ritual_for_member(ritual_id=ritual_id, user=request.user)
    services.delete_team_ritual(ritual=ritual, by=request.user)
    messages.success(request, _("The ritual is deleted."))
    return redirect("memories:rituals", slug=ritual.team.slug)
