"""REST routes of the wiki, mounted at ``/api/wiki/`` (namespace ``api:wiki``)."""

from django.urls import path

from wiki import api

app_name = "wiki"

S = "spaces/<slug:key>"
P = "pages/<int:page_id>"

urlpatterns = [
    path("spaces/", api.SpaceListApi.as_view(), name="space-list"),
    path("spaces/import/", api.SpaceImportNewApi.as_view(), name="space-import-new"),
    path(f"{S}/", api.SpaceDetailApi.as_view(), name="space-detail"),
    path(f"{S}/roles/", api.SpaceRoleListApi.as_view(), name="space-roles"),
    path(f"{S}/audit/", api.SpaceAuditApi.as_view(), name="space-audit"),
    path(f"{S}/trash/", api.SpaceTrashApi.as_view(), name="space-trash"),
    path(f"{S}/stale/", api.SpaceStaleApi.as_view(), name="space-stale"),
    path(f"{S}/export/", api.SpaceExportApi.as_view(), name="space-export"),
    path(f"{S}/import/", api.SpaceImportApi.as_view(), name="space-import"),
    path(f"{S}/pages/", api.PageListApi.as_view(), name="page-list"),
    path(f"{S}/by-path/<path:path>", api.PageByPathApi.as_view(), name="page-by-path"),
    path(f"{P}/", api.PageDetailApi.as_view(), name="page-detail"),
    path(f"{P}/move/", api.PageMoveApi.as_view(), name="page-move"),
    path(f"{P}/undelete/", api.PageUndeleteApi.as_view(), name="page-undelete"),
    path(f"{P}/revisions/", api.PageRevisionListApi.as_view(), name="revision-list"),
    path(
        f"{P}/revisions/<int:number>/",
        api.PageRevisionDetailApi.as_view(),
        name="revision-detail",
    ),
    path(
        f"{P}/revisions/<int:number>/restore/",
        api.PageRevisionRestoreApi.as_view(),
        name="revision-restore",
    ),
    path(f"{P}/diff/", api.PageDiffApi.as_view(), name="page-diff"),
    path(f"{P}/tags/", api.PageTagsApi.as_view(), name="page-tags"),
    path(f"{P}/owners/", api.PageOwnersApi.as_view(), name="page-owners"),
    path(f"{P}/review/", api.PageReviewApi.as_view(), name="page-review"),
    path(f"{P}/verify/", api.PageVerifyApi.as_view(), name="page-verify"),
    path(f"{P}/comments/", api.PageCommentListApi.as_view(), name="comment-list"),
    path(f"{P}/attachments/", api.PageAttachmentListApi.as_view(), name="attachment-list"),
    path(
        "attachments/<int:attachment_id>/",
        api.AttachmentDetailApi.as_view(),
        name="attachment-detail",
    ),
    path("search/", api.SearchApi.as_view(), name="search"),
    path("stale/", api.StaleMineApi.as_view(), name="stale-mine"),
]
