"""Reads for the wiki, each scoped to what the asking user may read, by capability.

Access rules live in ``access``: a public space is readable by every signed-in user, a
private one only by users with a role in it (directly or through a team). A user who may not
read an object gets Http404, never 403. Wiki code imports from the modules; this package
re-exports their public names for callers outside the wiki.
"""

from wiki.selectors.access import (
    get_space_role,
    has_space_role,
    readable_pages,
    readable_spaces_q,
    require_space_role,
)
from wiki.selectors.attachments import get_attachment_for_user, list_attachments
from wiki.selectors.comments import list_comments
from wiki.selectors.notifications import count_unread_notifications, is_watching, list_notifications
from wiki.selectors.ownership import can_verify_page, list_owned_pages, list_stale_pages
from wiki.selectors.pages import (
    SEARCH_COLUMNS,
    find_redirect_for_user,
    get_page_by_id_for_user,
    get_page_for_user,
    list_ancestors,
    list_backlinks,
    list_child_pages,
    list_children,
    list_pages,
    list_trash,
)
from wiki.selectors.presence import PRESENCE_SECONDS, list_editors_present
from wiki.selectors.rendering import new_page_url, page_url, render_body
from wiki.selectors.revisions import (
    RevisionDiff,
    diff_revisions,
    get_revision_for_user,
    get_revision_pair_for_user,
    list_revisions,
)
from wiki.selectors.search import RANK_CANDIDATES, SUBSTRING_TIMEOUT_MS, SearchHit, search_pages
from wiki.selectors.spaces import (
    get_space_for_user,
    list_space_audit_events,
    list_space_roles,
    list_spaces,
)
from wiki.selectors.templates import get_template_for_user, list_templates

__all__ = [
    "readable_spaces_q",
    "get_space_role",
    "has_space_role",
    "readable_pages",
    "require_space_role",
    "get_attachment_for_user",
    "list_attachments",
    "list_comments",
    "is_watching",
    "list_notifications",
    "count_unread_notifications",
    "can_verify_page",
    "list_stale_pages",
    "list_owned_pages",
    "get_page_for_user",
    "get_page_by_id_for_user",
    "find_redirect_for_user",
    "list_pages",
    "list_child_pages",
    "list_ancestors",
    "SEARCH_COLUMNS",
    "list_backlinks",
    "list_children",
    "list_trash",
    "PRESENCE_SECONDS",
    "list_editors_present",
    "page_url",
    "new_page_url",
    "render_body",
    "get_revision_for_user",
    "get_revision_pair_for_user",
    "RevisionDiff",
    "diff_revisions",
    "list_revisions",
    "SearchHit",
    "RANK_CANDIDATES",
    "SUBSTRING_TIMEOUT_MS",
    "search_pages",
    "list_spaces",
    "get_space_for_user",
    "list_space_audit_events",
    "list_space_roles",
    "get_template_for_user",
    "list_templates",
]
