"""Shapes of the Q&A forms: a question, an answer to a request."""

from django import forms
from django.utils.translation import gettext_lazy as _

from qa.answers import MAX_QUESTION_CHARS


class AskForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
    )


class AnswerRequestForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    space = forms.ChoiceField(label=_("Readers of this space may see it"))

    def __init__(self, *args, spaces=(), initial_space: str | None = None, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [(space.key, space.name) for space in spaces]
        if initial_space:
            self.fields["space"].initial = initial_space
