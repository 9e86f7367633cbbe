"""``receipt_lines``: a deletion receipt's items worded for a person, in the active language."""

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy

from handover.models import DeletionReceipt

register = template.Library()

# Receipt items name what was removed by a stable key; the words are the pages' business.
LABELS = {
    "messages": gettext_lazy("Messages"),
    "threads": gettext_lazy("Threads"),
    "conversations": gettext_lazy("Conversations"),
    "people": gettext_lazy("People"),
    "identities": gettext_lazy("Platform identities"),
    "files": gettext_lazy("Stored upload files"),
    "imports": gettext_lazy("Import records"),
}
NOTES = {
    "server_export": gettext_lazy(
        "The export was read in place on the server; Tacit kept no copy of it to delete."
    ),
    "already_deleted": gettext_lazy("The upload had been deleted after the import succeeded."),
    "missing": gettext_lazy("The upload was already gone when it was to be deleted."),
}
ERRORS = {
    "delete_failed": gettext_lazy(
        "The stored upload could not be deleted. An operator has been told; it will not be "
        "used again."
    ),
}


@dataclass(frozen=True)
class ReceiptLine:
    """One item of a receipt as a page shows it."""

    what: str
    label: str
    count: int
    at: datetime | None
    note: str
    error: str


@register.filter
def receipt_lines(receipt: DeletionReceipt) -> list[ReceiptLine]:
    """``{% for line in receipt|receipt_lines %}``: label, count, time, note and error of each."""
    lines = []
    for item in receipt.items or []:
        what = str(item.get("what", ""))
        error = str(item.get("error", ""))
        lines.append(
            ReceiptLine(
                what=what,
                label=str(LABELS.get(what, what)),
                count=int(item.get("count", 0)),
                at=parse_datetime(str(item.get("at", ""))),
                note=str(NOTES.get(str(item.get("note", "")), "")),
                error=str(ERRORS.get(error, error)) if error else "",
            )
        )
    return lines
