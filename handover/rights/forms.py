"""Forms of the subject's rights pages: they check shape only."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AccessLinkRequestForm(forms.Form):
    """The personal address a subject registered on their handover."""

    email = forms.EmailField(label=_("Your personal e-mail address"), max_length=254)
