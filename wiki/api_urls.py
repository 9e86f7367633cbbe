"""REST routes of the wiki, mounted at ``/api/wiki/`` (namespace ``api:wiki``)."""

from django.urls import path

from wiki.api.archive import SpaceExportApi, SpaceImportApi, SpaceImportNewApi
from wiki.api.attachments import AttachmentDetailApi, PageAttachmentListApi
from wiki.api.comments import PageCommentListApi
from wiki.api.ownership import (
    PageOwnersApi,
    PageReviewApi,
    PageTagsApi,
    PageVerifyApi,
    SpaceStaleApi,
    StaleMineApi,
)
from wiki.api.pages import PageByPathApi, PageDetailApi, PageListApi
from wiki.api.revisions import (
    PageDiffApi,
    PageRevisionDetailApi,
    PageRevisionListApi,
    PageRevisionRestoreApi,
)
from wiki.api.search import SearchApi
from wiki.api.spaces import SpaceAuditApi, SpaceDetailApi, SpaceListApi, SpaceRoleListApi
from wiki.api.tree import PageMoveApi, PageUndeleteApi, SpaceTrashApi

app_name = "wiki"

S = "spaces/<slug:key>"
P = "pages/<int:page_id>"

urlpatterns = [
    path("spaces/", SpaceListApi.as_view(), name="space-list"),
    path("spaces/import/", SpaceImportNewApi.as_view(), name="space-import-new"),
    path(f"{S}/", SpaceDetailApi.as_view(), name="space-detail"),
    path(f"{S}/roles/", SpaceRoleListApi.as_view(), name="space-roles"),
    path(f"{S}/audit/", SpaceAuditApi.as_view(), name="space-audit"),
    path(f"{S}/trash/", SpaceTrashApi.as_view(), name="space-trash"),
    path(f"{S}/stale/", SpaceStaleApi.as_view(), name="space-stale"),
    path(f"{S}/export/", SpaceExportApi.as_view(), name="space-export"),
    path(f"{S}/import/", SpaceImportApi.as_view(), name="space-import"),
    path(f"{S}/pages/", PageListApi.as_view(), name="page-list"),
    path(f"{S}/by-path/<path:path>", PageByPathApi.as_view(), name="page-by-path"),
    path(f"{P}/", PageDetailApi.as_view(), name="page-detail"),
    path(f"{P}/move/", PageMoveApi.as_view(), name="page-move"),
    path(f"{P}/undelete/", PageUndeleteApi.as_view(), name="page-undelete"),
    path(f"{P}/revisions/", PageRevisionListApi.as_view(), name="revision-list"),
    path(
        f"{P}/revisions/<int:number>/",
        PageRevisionDetailApi.as_view(),
        name="revision-detail",
    ),
    path(
        f"{P}/revisions/<int:number>/restore/",
        PageRevisionRestoreApi.as_view(),
        name="revision-restore",
    ),
    path(f"{P}/diff/", PageDiffApi.as_view(), name="page-diff"),
    path(f"{P}/tags/", PageTagsApi.as_view(), name="page-tags"),
    path(f"{P}/owners/", PageOwnersApi.as_view(), name="page-owners"),
    path(f"{P}/review/", PageReviewApi.as_view(), name="page-review"),
    path(f"{P}/verify/", PageVerifyApi.as_view(), name="page-verify"),
    path(f"{P}/comments/", PageCommentListApi.as_view(), name="comment-list"),
    path(f"{P}/attachments/", PageAttachmentListApi.as_view(), name="attachment-list"),
    path(
        "attachments/<int:attachment_id>/",
        AttachmentDetailApi.as_view(),
        name="attachment-detail",
    ),
    path("search/", SearchApi.as_view(), name="search"),
    path("stale/", StaleMineApi.as_view(), name="stale-mine"),
]
