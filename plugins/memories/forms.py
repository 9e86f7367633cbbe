"""The plugin's forms: shape, the choices a person may make, and the warning before
something out of scope is saved.

Every free-text form says that health, family, money, mood and personality labels do not
belong there, and runs the same check as the relationships plugin
(``plugins.relationships.scope``: the ledger's out-of-scope detector plus mood and
personality labels): a match re-renders the form with a warning and "Save anyway".
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from core.models import Team
from plugins.memories import selectors
from plugins.memories.models import (
    MESSAGE_LENGTH,
    NOTE_LENGTH,
    RITUAL_FIELD_LENGTH,
    RITUAL_WHY_LENGTH,
    STORY_LENGTH,
    STORY_TITLE_LENGTH,
    AppreciationNote,
    Story,
    TeamRitual,
    Visibility,
)
from plugins.relationships.forms import ScopeCheckedForm
from wiki.models import Space

OUT_OF_SCOPE_HINT = _(
    "Health, family, money, mood and personality labels do not belong here. "
    "Write about the work you did together."
)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_full_name() or obj.get_username()


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        return obj.get_full_name() or obj.get_username()


class NoteForm(ScopeCheckedForm):
    text_fields = ("text",)

    recipient = PersonChoiceField(
        label=_("Whom you thank"),
        queryset=None,
        empty_label=_("Choose a colleague"),
        error_messages={"invalid_choice": _("Choose someone in one of your teams.")},
    )
    text = forms.CharField(
        label=_("Your note"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only the two of you see it until they choose who else may: no one else, "
            "a team you share, or the readers of a wiki space."
        ),
    )

    def __init__(self, *args: object, user: AbstractBaseUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = selectors.list_colleagues(user=user)


class NoteVisibilityForm(forms.Form):
    """The recipient's choice of who reads a note.

    The teams (those shared with the note's author) and spaces (those the recipient
    reads) are passed in, looked up once for a whole list of notes.
    """

    visibility = forms.ChoiceField(
        label=_("Who may see it"),
        choices=[
            (Visibility.PRIVATE, _("Only the two of us")),
            (Visibility.TEAM, _("The members of a team we share")),
            (Visibility.SPACE, _("The readers of a wiki space")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who may see the note.")},
    )
    team = forms.TypedChoiceField(label=_("Team"), coerce=int, required=False, empty_value=None)
    space = forms.TypedChoiceField(
        label=_("Wiki space"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: object,
        note: AppreciationNote,
        teams: list[Team],
        spaces: list[Space],
        **kwargs: object,
    ) -> None:
        kwargs.setdefault("prefix", f"note-{note.pk}")
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "visibility": note.visibility if note.visibility != Visibility.UNDECIDED else "",
                "team": note.team_id,
                "space": note.space_id,
            }
        super().__init__(*args, **kwargs)
        self.teams = {team.pk: team for team in teams}
        self.spaces = {space.pk: space for space in spaces}
        invalid = {"invalid_choice": _("Choose one from the list.")}
        self.fields["team"].choices = [("", _("Choose a team"))] + [
            (team.pk, team.name) for team in teams
        ]
        self.fields["team"].error_messages.update(invalid)
        self.fields["space"].choices = [("", _("Choose a space"))] + [
            (space.pk, space.name) for space in spaces
        ]
        self.fields["space"].error_messages.update(invalid)

    def clean(self) -> dict:
        cleaned = super().clean()
        visibility = cleaned.get("visibility")
        cleaned["team"] = self.teams.get(cleaned.get("team"))
        cleaned["space"] = self.spaces.get(cleaned.get("space"))
        if visibility == Visibility.TEAM and cleaned["team"] is None and "team" not in self.errors:
            self.add_error("team", _("Choose the team that may see it."))
        if (
            visibility == Visibility.SPACE
            and cleaned["space"] is None
            and "space" not in self.errors
        ):
            self.add_error("space", _("Choose the wiki space whose readers may see it."))
        return cleaned


class StoryForm(ScopeCheckedForm):
    text_fields = ("title", "text")

    team = forms.ModelChoiceField(label=_("Team"), queryset=None, empty_label=_("Choose a team"))
    title = forms.CharField(label=_("Title"), max_length=STORY_TITLE_LENGTH)
    text = forms.CharField(
        label=_("The story"),
        max_length=STORY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Something the team did together. Everyone you name must approve it before "
            "anyone else sees it; any of them can decline, which hides it at once."
        ),
    )
    named = PeopleChoiceField(
        label=_("People in the story"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of the team; you need not name yourself."),
    )

    def __init__(self, *args: object, user: AbstractBaseUser, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.list_teams_for_member(user=user)
        self.fields["named"].queryset = selectors.list_colleagues(user=user)

    def clean(self) -> dict:
        cleaned = super().clean()
        team: Team | None = cleaned.get("team")
        named = cleaned.get("named") or []
        if team is not None and named:
            members = set(selectors.list_team_members(team=team).values_list("pk", flat=True))
            outside = [person for person in named if person.pk not in members]
            if outside:
                self.add_error(
                    "named",
                    _("Name only members of %(team)s: %(people)s is not.")
                    % {
                        "team": team.name,
                        "people": ", ".join(p.get_full_name() or p.get_username() for p in outside),
                    },
                )
        return cleaned


class StoryEditForm(ScopeCheckedForm):
    text_fields = ("title", "text")

    title = forms.CharField(label=_("Title"), max_length=STORY_TITLE_LENGTH)
    text = forms.CharField(
        label=_("The story"),
        max_length=STORY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Saving a change asks everyone named in it to approve it again."),
    )

    @classmethod
    def for_story(cls, story: Story) -> StoryEditForm:
        return cls(initial={"title": story.title, "text": story.text})


class FarewellMessageForm(ScopeCheckedForm):
    text_fields = ("text",)

    text = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The person leaving chooses which messages are kept for the team after their "
            "last day; one they do not keep is deleted. You can delete yours at any time."
        ),
    )


class RitualForm(ScopeCheckedForm):
    text_fields = ("what", "when", "why")

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=TeamRitual.Kind.choices,
        initial=TeamRitual.Kind.RITUAL,
        widget=forms.RadioSelect,
    )
    what = forms.CharField(
        label=_("What"),
        max_length=RITUAL_FIELD_LENGTH,
        help_text=_("For example: the Friday demo, or the weekly on-call hand-off."),
    )
    when = forms.CharField(
        label=_("When"),
        max_length=RITUAL_FIELD_LENGTH,
        help_text=_("For example: every Friday at 16:00, or the first Monday of the month."),
    )
    why = forms.CharField(
        label=_("Why"),
        max_length=RITUAL_WHY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    keepers = PeopleChoiceField(
        label=_("Who keeps it going"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    space = forms.ModelChoiceField(
        label=_("Offer it to questions in a wiki space"),
        queryset=None,
        required=False,
        empty_label=_("No space: only the team sees it"),
        help_text=_("Readers of the space you choose may get answers from it."),
    )

    def __init__(
        self,
        *args: object,
        team: Team,
        user: AbstractBaseUser,
        ritual: TeamRitual | None = None,
        **kwargs: object,
    ) -> None:
        if ritual is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": ritual.kind,
                "what": ritual.what,
                "when": ritual.when,
                "why": ritual.why,
                "keepers": [person.pk for person in ritual.active_keepers],
                "space": ritual.space_id,
            }
        super().__init__(*args, **kwargs)
        self.fields["keepers"].queryset = selectors.list_team_members(team=team)
        spaces = selectors.list_editable_spaces(user=user)
        if ritual is not None and ritual.space_id:
            # A space someone else chose stays selectable (keeping it is no new offer).
            spaces = spaces | Space.objects.filter(pk=ritual.space_id)
        self.fields["space"].queryset = spaces.distinct()
