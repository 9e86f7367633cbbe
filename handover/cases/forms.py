"""Forms of handover cases: they check shape only; the services decide who may do what."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.models import Membership, Team
from handover.models import HandoverCase


class CaseOpenForm(forms.Form):
    """Who leaves, from which team, when, who takes over and where pages go."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    subject = forms.ModelChoiceField(
        label=_("Person leaving"), queryset=get_user_model().objects.none()
    )
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    successors = forms.ModelMultipleChoiceField(
        label=_("Successors"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    space = forms.ModelChoiceField(
        label=_("Wiki space to publish into"), queryset=None, required=False
    )
    language = forms.ChoiceField(
        label=_("Language of pseudonyms"), choices=HandoverCase.Language.choices, initial="en"
    )

    def __init__(self, *args: object, user, **kwargs: object) -> None:  # noqa: ANN001
        from wiki.models import Space

        super().__init__(*args, **kwargs)
        team_ids = Membership.objects.filter(user=user).values("team_id")
        self.fields["team"].queryset = Team.objects.filter(pk__in=team_ids).order_by("name")
        members = Membership.objects.filter(team_id__in=team_ids).values("user_id")
        users = get_user_model().objects.filter(pk__in=members).order_by("username")
        self.fields["subject"].queryset = users
        self.fields["successors"].queryset = users
        self.fields["space"].queryset = Space.objects.filter(team_id__in=team_ids).order_by("name")
        self.fields["subject"].initial = user.pk


class PersonalEmailForm(forms.Form):
    """The subject's personal address, for sign-in links after their last day."""

    personal_email = forms.EmailField(label=_("Personal e-mail address"), required=False)
