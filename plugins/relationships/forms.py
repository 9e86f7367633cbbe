"""The plugin's forms: shape, and the warning before something out of scope is saved.

Each form says what does not belong in it. When what was written touches one of those
topics (``plugins.relationships.scope``) the form is not valid until the writer
confirms with "Save anyway": nothing is saved silently the first time.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from plugins.relationships.models import (
    MANUAL_FIELD_LENGTH,
    NOTE_LENGTH,
    TOPIC_LENGTH,
    WorkingManual,
)
from plugins.relationships.scope import out_of_scope_labels

OUT_OF_SCOPE_HINT = _(
    "Health, family, money, mood and personality labels do not belong here. "
    "Write only what helps people work with each other."
)


class ScopeCheckedForm(forms.Form):
    """A form whose text fields are checked for out-of-scope topics before saving."""

    text_fields: tuple[str, ...] = ()
    confirm_out_of_scope = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.scope_warning: list[str] = []

    def clean(self) -> dict:
        cleaned = super().clean()
        texts = [str(cleaned.get(name) or "") for name in self.text_fields]
        labels = out_of_scope_labels(*texts)
        if labels and not cleaned.get("confirm_out_of_scope"):
            self.scope_warning = labels
            raise forms.ValidationError(
                _(
                    "This seems to touch something that does not belong here: %(topics)s. "
                    "Change it, or save it anyway if it is really about working together."
                )
                % {"topics": ", ".join(labels)},
                code="out_of_scope",
            )
        return cleaned


class WorkingManualForm(ScopeCheckedForm):
    text_fields = ("how_to_ask", "hours", "glad_to_help")

    how_to_ask = forms.CharField(
        label=_("How I like to be asked"),
        required=False,
        max_length=MANUAL_FIELD_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: a message in the team channel rather than a call."),
    )
    hours = forms.CharField(
        label=_("My hours"),
        required=False,
        max_length=MANUAL_FIELD_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: 9:00 to 17:00 Beijing time, quiet on Friday afternoons."),
    )
    glad_to_help = forms.CharField(
        label=_("What I am glad to help with"),
        required=False,
        max_length=MANUAL_FIELD_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def for_manual(cls, manual: WorkingManual | None) -> WorkingManualForm:
        if manual is None:
            return cls()
        return cls(
            initial={
                "how_to_ask": manual.how_to_ask,
                "hours": manual.hours,
                "glad_to_help": manual.glad_to_help,
            }
        )


class TopicForm(ScopeCheckedForm):
    text_fields = ("topic",)

    topic = forms.CharField(
        label=_("Ask me about"),
        max_length=TOPIC_LENGTH,
        help_text=_("A subject of work, such as “billing migration” or “发布流程”."),
    )


class NoteForm(ScopeCheckedForm):
    text_fields = ("text",)

    text = forms.CharField(
        label=_("Note"),
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "About work, such as “ask her about the billing migration”. The person it is "
            "about sees it and can edit or veto it."
        ),
    )


class MapSearchForm(forms.Form):
    q = forms.CharField(label=_("Topic"), required=False, max_length=TOPIC_LENGTH)
