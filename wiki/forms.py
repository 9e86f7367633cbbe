"""Forms for the wiki's HTML views: they check the shape of input, services decide the rest."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from wiki.merge import MARKER_END, MARKER_START
from wiki.models import Role


class SpaceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    key = forms.SlugField(
        label=_("Key"),
        max_length=64,
        help_text=_("Short name used in URLs and in [[key:Page]] links."),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    is_private = forms.BooleanField(label=_("Private"), required=False, initial=True)


class SpaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    is_private = forms.BooleanField(label=_("Private"), required=False)


class SpaceRoleForm(forms.Form):
    username = forms.CharField(label=_("Username"), required=False, max_length=150)
    team_slug = forms.SlugField(label=_("Team"), required=False, max_length=120)
    role = forms.ChoiceField(
        label=_("Role"), choices=[*Role.choices, ("none", _("No role (remove)"))]
    )

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("username")) == bool(data.get("team_slug")):
            raise forms.ValidationError(_("Give either a username or a team."))
        return data


class PageCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 20})
    )
    summary = forms.CharField(label=_("Edit summary"), required=False, max_length=300)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _has_markers(body: str) -> bool:
    lines = body.replace("\r\n", "\n").split("\n")
    return MARKER_START in lines and MARKER_END in lines


class PageEditForm(forms.Form):
    body = forms.CharField(
        label=_("Text (Markdown)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24}),
    )
    summary = forms.CharField(label=_("Edit summary"), required=False, max_length=300)
    base = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    resolving = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("resolving") and _has_markers(data.get("body") or ""):
            raise forms.ValidationError(
                _(
                    "The text still contains conflict markers (<<<<<<< / >>>>>>>). "
                    "Keep the lines you want and remove the markers, then save."
                )
            )
        return data


class SectionEditForm(PageEditForm):
    pass


class MoveForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    parent = forms.CharField(
        label=_("Parent page"),
        required=False,
        max_length=1000,
        help_text=_("The parent's address in this space, e.g. ops/runbooks; empty: top level."),
    )


class PageSettingsForm(forms.Form):
    owners = forms.CharField(
        label=_("Owners"),
        required=False,
        help_text=_("Usernames, separated by commas."),
    )
    review_by = forms.DateField(
        label=_("Review by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."))


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=format_lazy(
            _("At most {size}."), size=lazy(filesizeformat, str)(settings.WIKI_ATTACHMENT_MAX_BYTES)
        ),
    )


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    body = forms.CharField(
        label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=500)
    space = forms.SlugField(label=_("Space"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=64)
