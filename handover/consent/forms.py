"""The consent form: purposes, each unticked by default, the scope, and an optional expiry."""

from django import forms
from django.utils.translation import gettext_lazy as _

from handover.consent.purposes import grantable_values


class ConsentForm(forms.Form):
    """The subject's choices; the view fills the conversation choices from their imports."""

    purposes = forms.MultipleChoiceField(
        label=_("Purposes"),
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    conversations = forms.TypedMultipleChoiceField(
        label=_("Conversations"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sources = forms.TypedMultipleChoiceField(
        label=_("Whole imports"),
        coerce=int,
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label=_("Consent ends on (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(
        self,
        *args: object,
        conversation_ids: list[int],
        source_conversations: dict[int, list[int]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_conversations = source_conversations or {}
        # The ledger's purposes and those installed plugins declare, as of this request.
        self.fields["purposes"].choices = [(value, value) for value in grantable_values()]
        self.fields["conversations"].choices = [(pk, str(pk)) for pk in conversation_ids]
        self.fields["sources"].choices = [(pk, str(pk)) for pk in self.source_conversations]

    def chosen_conversations(self) -> list[int]:
        """The ticked conversations, and every conversation of each ticked import."""
        chosen = set(self.cleaned_data["conversations"])
        for source_id in self.cleaned_data["sources"]:
            chosen |= set(self.source_conversations.get(source_id, []))
        return sorted(chosen)


class ThreadScopeForm(forms.Form):
    """The threads of one conversation the subject leaves out."""

    excluded = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=False)

    def __init__(self, *args: object, thread_ids: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["excluded"].choices = [(pk, str(pk)) for pk in thread_ids]


class WithdrawForm(forms.Form):
    """What to withdraw: everything, one purpose, or one conversation."""

    what = forms.ChoiceField(
        choices=[
            ("everything", "everything"),
            ("purpose", "purpose"),
            ("conversation", "conversation"),
        ]
    )
    purpose = forms.ChoiceField(choices=(), required=False)
    conversation = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [(value, value) for value in grantable_values()]
