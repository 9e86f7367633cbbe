"""Comments on pages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from wiki.errors import CommentError
from wiki.models import (
    Comment,
    Page,
    Role,
)
from wiki.selectors.access import require_space_role
from wiki.services.validation import _normalise

MAX_COMMENT_LENGTH = 10_000


@transaction.atomic
def add_comment(*, page: Page, author: AbstractBaseUser, body: str) -> Comment:
    """Comment on a page (any reader); watchers and @mentioned readers are notified."""
    require_space_role(author, page.space, Role.READER)
    body = _normalise(body).strip()
    if not body:
        raise CommentError(_("A comment cannot be empty."))
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(
            _("A comment has at most %(count)d characters.") % {"count": MAX_COMMENT_LENGTH}
        )
    comment = Comment.objects.create(page=page, author=author, body=body)
    from wiki.tasks import notify_comment_task

    transaction.on_commit(lambda: notify_comment_task.delay(comment.pk))
    return comment
