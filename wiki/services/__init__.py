"""Every write to the wiki, one keyword-only function per use case, by capability.

Each use case owns its transaction (nested calls join the caller's), checks the acting
user's role with ``wiki.selectors.access.require_space_role`` and schedules Celery work
with ``transaction.on_commit``; sensitive writes add an audit row in the same transaction.
Wiki code imports from the modules; this package re-exports their public names (and the
named errors of ``wiki.errors``) for callers outside the wiki: tests, handover, seeds.
"""

from wiki.errors import (
    AttachmentError,
    CommentError,
    ConflictError,
    InvalidMoveError,
    InvalidTitleError,
    LastAdminError,
    PageDeletedError,
    PageHasChildrenError,
    PageTitleTakenError,
    SpaceKeyError,
    TextTooLongError,
    WikiError,
    WikiPermissionError,
)
from wiki.services.attachments import (
    ALLOWED_ATTACHMENT_TYPES,
    INLINE_IMAGE_TYPES,
    delete_attachment,
    upload_attachment,
)
from wiki.services.comments import MAX_COMMENT_LENGTH, add_comment
from wiki.services.notifications import (
    mark_notifications_read,
    notify_comment,
    notify_watchers,
    unwatch,
    watch,
)
from wiki.services.ownership import (
    REVIEW_INTERVAL_DAYS,
    flag_page_for_review,
    mark_verified,
    reassign_pages,
    set_page_owners,
    set_page_tags,
    set_review_by,
)
from wiki.services.pages import create_page, create_page_from_template
from wiki.services.presence import leave_presence, touch_presence
from wiki.services.purge import purge_pages
from wiki.services.revisions import PublishResult, edit_section, publish_revision, restore_revision
from wiki.services.spaces import SPACE_KEY_RE, create_space, set_space_role, update_space
from wiki.services.templates import create_template, fill_template
from wiki.services.tree import delete_page, move_page, rename_page, undelete_page
from wiki.services.validation import MAX_TITLE_LENGTH

__all__ = [
    "flag_page_for_review",
    "WikiError",
    "WikiPermissionError",
    "InvalidTitleError",
    "PageTitleTakenError",
    "InvalidMoveError",
    "PageDeletedError",
    "PageHasChildrenError",
    "SpaceKeyError",
    "LastAdminError",
    "AttachmentError",
    "CommentError",
    "TextTooLongError",
    "ConflictError",
    "ALLOWED_ATTACHMENT_TYPES",
    "INLINE_IMAGE_TYPES",
    "upload_attachment",
    "delete_attachment",
    "MAX_COMMENT_LENGTH",
    "add_comment",
    "watch",
    "unwatch",
    "notify_watchers",
    "notify_comment",
    "mark_notifications_read",
    "REVIEW_INTERVAL_DAYS",
    "set_page_owners",
    "reassign_pages",
    "mark_verified",
    "set_review_by",
    "set_page_tags",
    "create_page",
    "create_page_from_template",
    "touch_presence",
    "leave_presence",
    "purge_pages",
    "PublishResult",
    "publish_revision",
    "edit_section",
    "restore_revision",
    "SPACE_KEY_RE",
    "create_space",
    "update_space",
    "set_space_role",
    "fill_template",
    "create_template",
    "rename_page",
    "move_page",
    "delete_page",
    "undelete_page",
    "MAX_TITLE_LENGTH",
]
