"""REST routes of the handover, mounted at ``/api/handover/`` (namespace ``api:handover``)."""

from django.urls import path

from handover import api
from handover.cases import api as case_api
from handover.consent import api as consent_api
from handover.drafting import api as drafting_api
from handover.drafting import review_api as draft_api
from handover.publishing import api as publishing_api
from handover.rights import api as rights_api

app_name = "handover"

urlpatterns = [
    path("imports/", api.SourceListApi.as_view(), name="import-list"),
    path("imports/<int:source_id>/", api.SourceDetailApi.as_view(), name="import-detail"),
    path("imports/<int:source_id>/cancel/", api.SourceCancelApi.as_view(), name="import-cancel"),
    path("receipts/", api.ReceiptListApi.as_view(), name="receipt-list"),
    path("receipts/<int:receipt_id>/", api.ReceiptDetailApi.as_view(), name="receipt-detail"),
    path("rights/", rights_api.RightsOverviewApi.as_view(), name="rights-overview"),
    path("exports/", rights_api.DataExportCreateApi.as_view(), name="data-export-list"),
    path(
        "exports/<int:export_id>/",
        rights_api.DataExportDetailApi.as_view(),
        name="data-export-detail",
    ),
    path(
        "exports/<int:export_id>/download/",
        rights_api.DataExportDownloadApi.as_view(),
        name="data-export-download",
    ),
    path("messages/search/", api.MessageSearchApi.as_view(), name="message-search"),
    path("cases/", case_api.CaseListApi.as_view(), name="case-list"),
    path("cases/<int:case_id>/", case_api.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<int:case_id>/steps/", case_api.CaseTransitionApi.as_view(), name="case-transition"
    ),
    path("cases/<int:case_id>/consent/", consent_api.ConsentApi.as_view(), name="consent"),
    path(
        "cases/<int:case_id>/consent/grants/",
        consent_api.ConsentGrantListApi.as_view(),
        name="consent-grants",
    ),
    path(
        "cases/<int:case_id>/consent/withdraw/",
        consent_api.ConsentWithdrawApi.as_view(),
        name="consent-withdraw",
    ),
    path(
        "cases/<int:case_id>/publish/",
        publishing_api.PublishCaseApi.as_view(),
        name="publish-case",
    ),
    path(
        "cases/<int:case_id>/published/",
        publishing_api.PublishedPageListApi.as_view(),
        name="published-pages",
    ),
    path(
        "cases/<int:case_id>/pages/",
        publishing_api.PageReassignmentListApi.as_view(),
        name="page-reassignments",
    ),
    path(
        "cases/<int:case_id>/pages/<int:reassignment_id>/",
        publishing_api.PageReassignmentActionApi.as_view(),
        name="page-reassignment-action",
    ),
    # The draft's review and the interview
    path("cases/<int:case_id>/draft/", draft_api.DraftApi.as_view(), name="draft"),
    path(
        "sentences/<int:sentence_id>/",
        draft_api.SentenceUpdateApi.as_view(),
        name="draft-sentence",
    ),
    path("sections/<int:section_id>/", draft_api.SectionUpdateApi.as_view(), name="draft-section"),
    path(
        "sections/<int:section_id>/rewrite/",
        draft_api.SectionRewriteApi.as_view(),
        name="draft-section-rewrite",
    ),
    path(
        "sections/<int:section_id>/comments/",
        draft_api.SectionCommentApi.as_view(),
        name="draft-section-comments",
    ),
    path("cases/<int:case_id>/interview/", draft_api.InterviewApi.as_view(), name="interview"),
    path(
        "interview/<int:question_id>/answer/",
        draft_api.InterviewAnswerApi.as_view(),
        name="interview-answer",
    ),
    path("purges/<int:job_id>/", consent_api.PurgeJobDetailApi.as_view(), name="purge-detail"),
    # Drafting: runs and the draft's topics.
    path("cases/<int:case_id>/drafts/", drafting_api.DraftRunListApi.as_view(), name="draft-list"),
    path("drafts/<int:run_id>/", drafting_api.DraftRunDetailApi.as_view(), name="draft-detail"),
    path(
        "drafts/<int:run_id>/cancel/", drafting_api.DraftRunCancelApi.as_view(), name="draft-cancel"
    ),
    path(
        "drafts/<int:run_id>/topics/",
        drafting_api.DraftTopicListApi.as_view(),
        name="draft-topics",
    ),
    path(
        "drafts/<int:run_id>/topics/merge/",
        drafting_api.DraftTopicMergeApi.as_view(),
        name="draft-topics-merge",
    ),
    path(
        "drafts/<int:run_id>/topics/move/",
        drafting_api.DraftTopicMoveApi.as_view(),
        name="draft-topics-move",
    ),
    path(
        "drafts/<int:run_id>/topics/<int:topic_id>/rename/",
        drafting_api.DraftTopicRenameApi.as_view(),
        name="draft-topic-rename",
    ),
]
