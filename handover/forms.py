"""Forms for imports: they check shape only; the services decide the rest."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _


def _format_choices() -> list[tuple[str, str]]:
    from handover.importers.registry import list_formats

    return [("", _("Detect automatically")), *list_formats()]


class ImportUploadForm(forms.Form):
    """An export file and, optionally, the format to read it as."""

    file = forms.FileField(
        label=_("Export file"),
        error_messages={
            "required": _("Choose an export file to upload."),
            "empty": _("The file is empty; nothing was stored."),
        },
    )
    format = forms.ChoiceField(label=_("Format"), required=False, choices=())

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Read at each request: plugins may add formats, tests may change the limit.
        self.fields["format"].choices = _format_choices()
        self.fields["file"].help_text = _(
            "A zip or a single export file (JSON, mbox, .eml, text), up to %(size)s."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)}


class MessageSearchForm(forms.Form):
    """The search box over the user's imported messages."""

    q = forms.CharField(label=_("Search"), max_length=500, required=False, strip=True)
