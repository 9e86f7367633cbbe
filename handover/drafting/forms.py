"""Forms of the draft's review and the interview: they check shape; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from handover.drafting.interview import MAX_ANSWER_LENGTH, MAX_QUESTION_LENGTH
from handover.drafting.review import MAX_COMMENT_LENGTH, MAX_SENTENCE_LENGTH, MAX_TITLE_LENGTH
from handover.models import DraftSection, DraftSentence


class SentenceEditForm(forms.Form):
    text = forms.CharField(
        label=_("Sentence"),
        max_length=MAX_SENTENCE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SentenceStatusForm(forms.Form):
    status = forms.ChoiceField(choices=DraftSentence.Status.choices)


class SectionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=DraftSection.Status.choices)


class SectionTitleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your question or note"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=MAX_QUESTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        max_length=MAX_ANSWER_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
