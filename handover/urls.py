from django.urls import path

from handover import views
from handover.cases import views as case_views
from handover.consent import views as consent_views
from handover.drafting import review_views as draft_views
from handover.drafting import views as drafting_views
from handover.privacy import views as privacy_views
from handover.publishing import views as publishing_views
from handover.rights import access_views
from handover.rights import views as rights_views

app_name = "handover"

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/new/", views.import_upload, name="import-upload"),
    path("imports/<int:source_id>/", views.import_detail, name="import-detail"),
    path("imports/<int:source_id>/cancel/", views.import_cancel, name="import-cancel"),
    path("imports/<int:source_id>/restart/", views.import_restart, name="import-restart"),
    path(
        "imports/<int:source_id>/delete/confirm/",
        views.import_delete_confirm,
        name="import-delete-confirm",
    ),
    path("imports/<int:source_id>/delete/", views.import_delete, name="import-delete"),
    path("receipts/", views.receipt_list, name="receipt-list"),
    path("receipts/<int:receipt_id>/", views.receipt_detail, name="receipt-detail"),
    # What Tacit holds about me, and my data exports
    path("rights/", rights_views.rights_overview, name="rights-overview"),
    path("exports/", rights_views.data_export_list, name="data-export-list"),
    path("exports/<int:export_id>/", rights_views.data_export_detail, name="data-export-detail"),
    path(
        "exports/<int:export_id>/download/",
        rights_views.data_export_download,
        name="data-export-download",
    ),
    path("conversations/", views.conversation_list, name="conversation-list"),
    path(
        "conversations/<int:conversation_id>/",
        views.conversation_detail,
        name="conversation-detail",
    ),
    path("threads/<int:thread_id>/", views.thread_detail, name="thread-detail"),
    path("search/", views.message_search, name="message-search"),
    # Cases
    path("cases/", case_views.case_list, name="case-list"),
    path("cases/new/", case_views.case_open, name="case-open"),
    path("cases/<int:case_id>/", case_views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/email/", case_views.case_personal_email, name="case-personal-email"),
    path(
        "cases/<int:case_id>/steps/<slug:action>/",
        case_views.case_transition,
        name="case-transition",
    ),
    # Publishing into the wiki, and the subject's pages passed on
    path("cases/<int:case_id>/publish/", publishing_views.publish_case, name="publish-case"),
    path(
        "cases/<int:case_id>/pages/",
        publishing_views.page_reassignments,
        name="page-reassignments",
    ),
    path(
        "cases/<int:case_id>/pages/<int:reassignment_id>/<slug:action>/",
        publishing_views.page_reassignment_action,
        name="page-reassignment-action",
    ),
    # Consent (the subject's own)
    path("cases/<int:case_id>/consent/", consent_views.consent_form, name="consent-form"),
    path(
        "cases/<int:case_id>/consent/conversations/<int:conversation_id>/",
        consent_views.consent_threads,
        name="consent-threads",
    ),
    path(
        "cases/<int:case_id>/consent/withdraw/",
        consent_views.consent_withdraw,
        name="consent-withdraw",
    ),
    path("naming/", consent_views.naming_consent, name="naming-consent"),
    # Privacy review (the subject's own)
    path("cases/<int:case_id>/privacy/", privacy_views.privacy_review, name="privacy-review"),
    path(
        "cases/<int:case_id>/privacy/redactions/<int:redaction_id>/release/",
        privacy_views.redaction_release,
        name="redaction-release",
    ),
    path(
        "cases/<int:case_id>/privacy/messages/<int:message_id>/",
        privacy_views.privacy_message,
        name="privacy-message",
    ),
    path(
        "cases/<int:case_id>/privacy/redactions/add/",
        privacy_views.redaction_add,
        name="redaction-add",
    ),
    path(
        "cases/<int:case_id>/privacy/topics/<int:message_id>/include/",
        privacy_views.out_of_scope_include,
        name="out-of-scope-include",
    ),
    path("cases/<int:case_id>/me/", privacy_views.subject_people, name="subject-people"),
    # The draft's review, its sources, and the interview
    path("cases/<int:case_id>/draft/", draft_views.draft_review, name="draft-review"),
    path(
        "cases/<int:case_id>/draft/completeness/",
        draft_views.draft_completeness,
        name="draft-completeness",
    ),
    path(
        "cases/<int:case_id>/draft/threads/<int:thread_id>/withdraw/",
        draft_views.thread_withdraw,
        name="draft-thread-withdraw",
    ),
    path(
        "cases/<int:case_id>/sources/<int:message_id>/",
        draft_views.draft_source,
        name="draft-source",
    ),
    path(
        "draft/sentences/<int:sentence_id>/edit/",
        draft_views.sentence_edit,
        name="draft-sentence-edit",
    ),
    path(
        "draft/sentences/<int:sentence_id>/status/",
        draft_views.sentence_status,
        name="draft-sentence-status",
    ),
    path(
        "draft/sections/<int:section_id>/status/",
        draft_views.section_status,
        name="draft-section-status",
    ),
    path(
        "draft/sections/<int:section_id>/title/",
        draft_views.section_rename,
        name="draft-section-rename",
    ),
    path(
        "draft/sections/<int:section_id>/comments/",
        draft_views.section_comment,
        name="draft-section-comment",
    ),
    path(
        "draft/sections/<int:section_id>/rewrite/",
        draft_views.section_rewrite,
        name="draft-section-rewrite",
    ),
    path("cases/<int:case_id>/interview/", draft_views.interview_page, name="interview"),
    path(
        "interview/<int:question_id>/answer/",
        draft_views.interview_answer,
        name="interview-answer",
    ),
    # Drafting: progress, start and cancel, the draft's topics
    path(
        "cases/<int:case_id>/draft/progress/",
        drafting_views.draft_progress,
        name="draft-progress",
    ),
    path("cases/<int:case_id>/draft/start/", drafting_views.draft_start, name="draft-start"),
    path("drafts/<int:run_id>/cancel/", drafting_views.draft_cancel, name="draft-cancel"),
    path("cases/<int:case_id>/draft/topics/", drafting_views.draft_topics, name="draft-topics"),
    path(
        "cases/<int:case_id>/draft/topics/edit/",
        drafting_views.draft_topics_edit,
        name="draft-topics-edit",
    ),
    # Sign-in by a one-time link to the subject's personal address
    path("access/", access_views.access_request, name="access-request"),
    path("access/mine/", access_views.access_home, name="access-home"),
    path("access/sign-out/", access_views.access_sign_out, name="access-sign-out"),
    path("access/<str:token>/", access_views.access_use, name="access-use"),
]
