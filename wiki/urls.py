"""HTML routes of the wiki. Space-level pages live under ``<key>/-/``, page actions under
``<key>/<path>/-/``, so no page slug can shadow them (slugs never equal ``-`` and a
top-level page is never called ``new``)."""

from django.urls import path
from django.views.generic import RedirectView

from wiki.views.archive import space_export, space_import
from wiki.views.attachments import attachment_delete, attachment_download, attachment_upload
from wiki.views.comments import comment_create
from wiki.views.notifications import notification_list, page_watch, space_watch
from wiki.views.ownership import page_settings, page_verify, space_stale, stale_mine
from wiki.views.pages import page_create, page_edit, page_preview, page_view, section_edit
from wiki.views.presence import page_presence
from wiki.views.revisions import page_diff, page_history, revision_restore, revision_view
from wiki.views.search import search
from wiki.views.spaces import space_audit, space_create, space_list, space_settings
from wiki.views.templates import template_list
from wiki.views.tree import (
    page_children,
    page_delete,
    page_move,
    page_undelete,
    space_detail,
    space_trash,
)

app_name = "wiki"

P = "<slug:key>/<path:path>/-"

urlpatterns = [
    path("", space_list, name="space-list"),
    path("-/spaces/new/", space_create, name="space-create"),
    path("-/search/", search, name="search"),
    path("-/notifications/", notification_list, name="notification-list"),
    path("-/stale/", stale_mine, name="stale-mine"),
    path(
        "-/attachments/<int:attachment_id>/",
        attachment_download,
        name="attachment-download",
    ),
    path(
        "-/attachments/<int:attachment_id>/delete/",
        attachment_delete,
        name="attachment-delete",
    ),
    path("<slug:key>/", space_detail, name="space-detail"),
    path("<slug:key>/new", page_create, name="page-create"),
    # "new" is never a top-level page slug, so a trailing slash can only mean the form.
    path(
        "<slug:key>/new/",
        RedirectView.as_view(pattern_name="wiki:page-create", query_string=True),
    ),
    path("<slug:key>/-/preview/", page_preview, name="page-preview"),
    path("<slug:key>/-/trash/", space_trash, name="space-trash"),
    path("<slug:key>/-/trash/<int:page_id>/undelete/", page_undelete, name="page-undelete"),
    path("<slug:key>/-/stale/", space_stale, name="space-stale"),
    path("<slug:key>/-/audit/", space_audit, name="space-audit"),
    path("<slug:key>/-/export/", space_export, name="space-export"),
    path("<slug:key>/-/import/", space_import, name="space-import"),
    path("<slug:key>/-/settings/", space_settings, name="space-settings"),
    path("<slug:key>/-/watch/", space_watch, name="space-watch"),
    path("<slug:key>/-/templates/", template_list, name="template-list"),
    path(f"{P}/edit/", page_edit, name="page-edit"),
    path(f"{P}/sections/<int:index>/edit/", section_edit, name="section-edit"),
    path(f"{P}/presence/", page_presence, name="page-presence"),
    path(f"{P}/history/", page_history, name="page-history"),
    path(f"{P}/children/", page_children, name="page-children"),
    path(f"{P}/diff/", page_diff, name="page-diff"),
    path(f"{P}/revisions/<int:number>/", revision_view, name="revision-view"),
    path(f"{P}/revisions/<int:number>/restore/", revision_restore, name="revision-restore"),
    path(f"{P}/move/", page_move, name="page-move"),
    path(f"{P}/delete/", page_delete, name="page-delete"),
    path(f"{P}/verify/", page_verify, name="page-verify"),
    path(f"{P}/watch/", page_watch, name="page-watch"),
    path(f"{P}/settings/", page_settings, name="page-settings"),
    path(f"{P}/comments/", comment_create, name="comment-create"),
    path(f"{P}/attachments/", attachment_upload, name="attachment-upload"),
    path("<slug:key>/<path:path>/", page_view, name="page-view"),
]
