"""The working-agreements form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from plugins.rhythms.models import AGREEMENT_MAX_CHARS


class WorkingAgreementForm(forms.Form):
    """The team's working agreements, as plain text."""

    text = forms.CharField(
        label=_("Working agreements"),
        required=False,
        max_length=AGREEMENT_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("How the team agrees to work: meeting times, quiet hours, reply times."),
        error_messages={
            "max_length": _(
                "Keep the working agreements under %(limit_value)d characters "
                "(this text has %(show_value)d)."
            )
        },
    )
