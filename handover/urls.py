from django.urls import path

from handover import views

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
    path("conversations/", views.conversation_list, name="conversation-list"),
    path(
        "conversations/<int:conversation_id>/",
        views.conversation_detail,
        name="conversation-detail",
    ),
    path("threads/<int:thread_id>/", views.thread_detail, name="thread-detail"),
    path("search/", views.message_search, name="message-search"),
]
