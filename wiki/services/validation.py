"""Checks and clean-ups of submitted titles and text shared by the page writes."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from wiki.errors import InvalidTitleError, PageTitleTakenError
from wiki.models import (
    Page,
    Space,
)
from wiki.rendering import (
    is_linkable_title,
)
from wiki.selectors.rendering import _check_length
from wiki.text import RESERVED_SLUGS, slug_for_title

MAX_TITLE_LENGTH = 200


def _normalise(body: str) -> str:
    """Browsers send CRLF from textareas; store LF so diffs and merges compare lines."""
    _check_length(body)
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _validate_title(title: str) -> str:
    title = unicodedata.normalize("NFC", " ".join(title.split()))
    if not title:
        raise InvalidTitleError(_("A page needs a title."))
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidTitleError(
            _("A title has at most %(count)d characters.") % {"count": MAX_TITLE_LENGTH}
        )
    if not is_linkable_title(title):
        raise InvalidTitleError(
            _("A title cannot contain “|”, “[[”, “]]” or unbalanced square brackets.")
        )
    return title


def _check_title_free(space: Space, title: str, exclude: Page | None = None) -> None:
    taken = Page.objects.filter(space=space, deleted_at__isnull=True, title__iexact=title)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise PageTitleTakenError(
            _("A page titled “%(title)s” already exists in this space.") % {"title": title}
        )


def _free_path(
    space: Space, parent: Page | None, title: str, exclude: Page | None = None
) -> tuple[str, str]:
    """A (slug, path) for ``title`` under ``parent`` that no live page uses."""
    base = slug_for_title(title)
    prefix = f"{parent.path}/" if parent is not None else ""
    taken = set(
        Page.objects.filter(space=space, deleted_at__isnull=True, path__startswith=prefix)
        .exclude(pk=exclude.pk if exclude is not None else None)
        .values_list("path", flat=True)
    )
    number = 1
    while True:
        slug = base if number == 1 else f"{base}-{number}"
        if (parent is not None or slug not in RESERVED_SLUGS) and f"{prefix}{slug}" not in taken:
            return slug, f"{prefix}{slug}"
        number += 1
