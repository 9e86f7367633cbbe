"""The wiki's named errors: refusals a user can cause, each with a message fit to show."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from wiki.merge import MergeResult
from wiki.models import (
    Revision,
)


class WikiError(Exception):
    """A request the wiki refuses, with a message to show the user."""


class WikiPermissionError(PermissionDenied):
    """The user may read the object but lacks the role for this action."""


class InvalidTitleError(WikiError):
    pass


class PageTitleTakenError(WikiError):
    pass


class InvalidMoveError(WikiError):
    pass


class PageDeletedError(WikiError):
    pass


class PageHasChildrenError(WikiError):
    pass


class SpaceKeyError(WikiError):
    pass


class LastAdminError(WikiError):
    pass


class AttachmentError(WikiError):
    pass


class CommentError(WikiError):
    pass


class TextTooLongError(WikiError):
    """A page, template or comment is longer than settings.WIKI_PAGE_MAX_CHARS."""


class ConflictError(WikiError):
    """A stale edit whose changes overlap newer ones; nothing was saved.

    Carries both texts so the user can resolve: ``submitted`` (theirs, as typed),
    ``current_revision`` (what is saved now) and ``merge`` (with conflict markers).
    """

    def __init__(self, *, merge: MergeResult, current_revision: Revision, submitted: str) -> None:
        super().__init__(
            _(
                "Someone else changed the same lines since you started editing. "
                "Nothing was saved; resolve the conflict and save again."
            )
        )
        self.merge = merge
        self.current_revision = current_revision
        self.submitted = submitted
