"""HTML views of the relationships plugin: the map, a person's page, one's own manual and
topics, and the notes about a person.

Every change is a POST that works without JavaScript (it redirects back); the map's
search and a note's veto also answer htmx with the changed partial. Someone the viewer
does not share a team with, and a note they may not read, are a 404; a note they may
read but not change is a 403.
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
from plugins.relationships import selectors, services
from plugins.relationships.errors import NotePermissionError, RelationshipsError
from plugins.relationships.forms import (
    OUT_OF_SCOPE_HINT,
    MapSearchForm,
    NoteForm,
    TopicForm,
    WorkingManualForm,
)
from plugins.relationships.models import PersonNote

MAP = "plugins/relationships/map.html"
PERSON = "plugins/relationships/person.html"
MINE = "plugins/relationships/mine.html"
NOTE_EDIT = "plugins/relationships/note_edit.html"


@login_required
@require_GET
def people_map(request: HttpRequest) -> HttpResponse:
    """Who to ask about what, searchable by topic; only people who put themselves on it."""
    form = MapSearchForm(request.GET)
    valid = form.is_valid()
    query = form.cleaned_data["q"] if valid else ""
    context = {
        "form": form,
        "query": query,
        "entries": selectors.search_ask_me_map(user=request.user, query=query) if valid else [],
    }
    template = f"{MAP}#map-results" if request.htmx else MAP
    return render(request, template, context)


def _person_context(request: HttpRequest, person, note_form: NoteForm | None = None) -> dict:  # noqa: ANN001
    is_self = person.pk == request.user.pk
    notes = selectors.list_notes_about(person=person, user=request.user)
    return {
        "person": person,
        "is_self": is_self,
        "manual": selectors.get_working_manual(person=person),
        "topics": list(selectors.list_ask_me_topics(person=person)),
        "notes": [_note_item(note, request.user) for note in notes],
        "note_form": None if is_self else (note_form or NoteForm()),
        "hint": OUT_OF_SCOPE_HINT,
    }


def _note_item(note: PersonNote, user) -> dict:  # noqa: ANN001
    return {
        "note": note,
        "is_subject": note.about_id == user.pk,
        "may_change": selectors.may_change_note(note=note, user=user),
        "may_delete": user.pk in (note.author_id, note.about_id),
    }


@login_required
@require_GET
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    """A teammate's manual, topics and the notes about them the viewer may read."""
    person = selectors.get_person_for_user(person_id=person_id, user=request.user)
    return render(request, PERSON, _person_context(request, person))


@login_required
@require_POST
def note_create(request: HttpRequest, person_id: int) -> HttpResponse:
    """Write a note about a teammate (after the out-of-scope warning, if any)."""
    person = selectors.get_person_for_user(person_id=person_id, user=request.user)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.write_person_note(
                about=person, author=request.user, text=form.cleaned_data["text"]
            )
        except NotePermissionError as error:
            raise PermissionDenied(str(error)) from error
        except RelationshipsError as error:
            form.add_error("text", str(error))
        else:
            messages.success(request, _("Your note is saved. They can see it, edit or veto it."))
            return redirect("relationships:person-detail", person_id=person.pk)
    return render(request, PERSON, _person_context(request, person, note_form=form))


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    """Change a note: the person it is about, or its author while it is not vetoed."""
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    if not selectors.may_change_note(note=note, user=request.user):
        raise PermissionDenied(_("You cannot change this note."))
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                services.edit_person_note(
                    note=note, by=request.user, text=form.cleaned_data["text"]
                )
            except NotePermissionError as error:
                raise PermissionDenied(str(error)) from error
            except RelationshipsError as error:
                form.add_error("text", str(error))
            else:
                messages.success(request, _("The note is changed."))
                return redirect("relationships:person-detail", person_id=note.about_id)
    else:
        form = NoteForm(initial={"text": note.text})
    return render(request, NOTE_EDIT, {"note": note, "form": form, "hint": OUT_OF_SCOPE_HINT})


def _set_veto(request: HttpRequest, note_id: int, *, vetoed: bool) -> HttpResponse:
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    try:
        note = services.set_person_note_veto(note=note, by=request.user, vetoed=vetoed)
    except NotePermissionError as error:
        raise PermissionDenied(str(error)) from error
    url = reverse("relationships:person-detail", kwargs={"person_id": note.about_id})
    return fragment_or_redirect(
        request,
        fragment=f"{PERSON}#note",
        context={"item": _note_item(note, request.user)},
        to=f"{url}#note-{note.pk}",
        notice=_("Vetoed: no one else sees this note now.")
        if vetoed
        else _("The note is shown again."),
    )


@login_required
@require_POST
def note_veto(request: HttpRequest, note_id: int) -> HttpResponse:
    """The person a note is about hides it from everyone else, at once."""
    return _set_veto(request, note_id, vetoed=True)


@login_required
@require_POST
def note_keep(request: HttpRequest, note_id: int) -> HttpResponse:
    """The person a note is about has read it and keeps it; it is no longer new to them."""
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    try:
        note = services.keep_person_note(note=note, by=request.user)
    except NotePermissionError as error:
        raise PermissionDenied(str(error)) from error
    url = reverse("relationships:person-detail", kwargs={"person_id": note.about_id})
    return fragment_or_redirect(
        request,
        fragment=f"{PERSON}#note",
        context={"item": _note_item(note, request.user)},
        to=f"{url}#note-{note.pk}",
    )


@login_required
@require_POST
def note_restore(request: HttpRequest, note_id: int) -> HttpResponse:
    """The person a note is about shows a vetoed note again."""
    return _set_veto(request, note_id, vetoed=False)


@login_required
@require_POST
def note_delete(request: HttpRequest, note_id: int) -> HttpResponse:
    """Delete a note: its author or the person it is about."""
    note = selectors.get_note_for_user(note_id=note_id, user=request.user)
    try:
        services.delete_person_note(note=note, by=request.user)
    except NotePermissionError as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, _("The note is deleted."))
    return redirect("relationships:person-detail", person_id=note.about_id)


def _mine_context(request: HttpRequest, **forms: object) -> dict:
    manual = selectors.get_working_manual(person=request.user)
    return {
        "manual_form": forms.get("manual_form") or WorkingManualForm.for_manual(manual),
        "topic_form": forms.get("topic_form") or TopicForm(),
        "topics": list(selectors.list_ask_me_topics(person=request.user)),
        "hint": OUT_OF_SCOPE_HINT,
    }


@login_required
@require_http_methods(["GET", "POST"])
def my_manual(request: HttpRequest) -> HttpResponse:
    """Write one's own "working with me" manual; the map topics are on the same page."""
    if request.method == "POST":
        form = WorkingManualForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            services.save_working_manual(
                user=request.user,
                how_to_ask=data["how_to_ask"],
                hours=data["hours"],
                glad_to_help=data["glad_to_help"],
            )
            messages.success(request, _("Your manual is saved."))
            return redirect("relationships:mine")
        return render(request, MINE, _mine_context(request, manual_form=form))
    return render(request, MINE, _mine_context(request))


@login_required
@require_POST
def topic_add(request: HttpRequest) -> HttpResponse:
    """Put oneself on the map for a topic."""
    form = TopicForm(request.POST)
    if form.is_valid():
        try:
            services.add_ask_me_topic(user=request.user, topic=form.cleaned_data["topic"])
        except RelationshipsError as error:
            form.add_error("topic", str(error))
        else:
            messages.success(request, _("You are on the map for this topic."))
            return redirect(f"{reverse('relationships:mine')}#my-topics")
    return render(request, MINE, _mine_context(request, topic_form=form))


@login_required
@require_POST
def topic_remove(request: HttpRequest, topic_id: int) -> HttpResponse:
    """Take one of one's own topics off the map, at once."""
    topic = selectors.get_own_topic(topic_id=topic_id, user=request.user)
    services.remove_ask_me_topic(topic=topic, by=request.user)
    messages.success(request, _("The topic is off the map."))
    return redirect(f"{reverse('relationships:mine')}#my-topics")
