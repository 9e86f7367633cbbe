"""HTML routes of the wiki. Space-level pages live under ``<key>/-/``, page actions under
``<key>/<path>/-/``, so no page slug can shadow them (slugs never equal ``-`` and a
top-level page is never called ``new``)."""

from django.urls import path
from django.views.generic import RedirectView

from wiki import archive_views, views

app_name = "wiki"

P = "<slug:key>/<path:path>/-"

urlpatterns = [
    path("", views.space_list, name="space-list"),
    path("-/spaces/new/", views.space_create, name="space-create"),
    path("-/search/", views.search, name="search"),
    path("-/notifications/", views.notification_list, name="notification-list"),
    path("-/stale/", views.stale_mine, name="stale-mine"),
    path(
        "-/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path(
        "-/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path("<slug:key>/", views.space_detail, name="space-detail"),
    path("<slug:key>/new", views.page_create, name="page-create"),
    # "new" is never a top-level page slug, so a trailing slash can only mean the form.
    path(
        "<slug:key>/new/",
        RedirectView.as_view(pattern_name="wiki:page-create", query_string=True),
    ),
    path("<slug:key>/-/preview/", views.page_preview, name="page-preview"),
    path("<slug:key>/-/trash/", views.space_trash, name="space-trash"),
    path("<slug:key>/-/trash/<int:page_id>/undelete/", views.page_undelete, name="page-undelete"),
    path("<slug:key>/-/stale/", views.space_stale, name="space-stale"),
    path("<slug:key>/-/audit/", views.space_audit, name="space-audit"),
    path("<slug:key>/-/export/", archive_views.space_export, name="space-export"),
    path("<slug:key>/-/import/", archive_views.space_import, name="space-import"),
    path("<slug:key>/-/settings/", views.space_settings, name="space-settings"),
    path("<slug:key>/-/watch/", views.space_watch, name="space-watch"),
    path("<slug:key>/-/templates/", views.template_list, name="template-list"),
    path(f"{P}/edit/", views.page_edit, name="page-edit"),
    path(f"{P}/sections/<int:index>/edit/", views.section_edit, name="section-edit"),
    path(f"{P}/presence/", views.page_presence, name="page-presence"),
    path(f"{P}/history/", views.page_history, name="page-history"),
    path(f"{P}/children/", views.page_children, name="page-children"),
    path(f"{P}/diff/", views.page_diff, name="page-diff"),
    path(f"{P}/revisions/<int:number>/", views.revision_view, name="revision-view"),
    path(f"{P}/revisions/<int:number>/restore/", views.revision_restore, name="revision-restore"),
    path(f"{P}/move/", views.page_move, name="page-move"),
    path(f"{P}/delete/", views.page_delete, name="page-delete"),
    path(f"{P}/verify/", views.page_verify, name="page-verify"),
    path(f"{P}/watch/", views.page_watch, name="page-watch"),
    path(f"{P}/settings/", views.page_settings, name="page-settings"),
    path(f"{P}/comments/", views.comment_create, name="comment-create"),
    path(f"{P}/attachments/", views.attachment_upload, name="attachment-upload"),
    path("<slug:key>/<path:path>/", views.page_view, name="page-view"),
]
