"""REST routes of imports and receipts, mounted at ``/api/handover/`` (``api:handover``)."""

from django.urls import path

from handover import api

app_name = "handover"

urlpatterns = [
    path("imports/", api.SourceListApi.as_view(), name="import-list"),
    path("imports/<int:source_id>/", api.SourceDetailApi.as_view(), name="import-detail"),
    path("imports/<int:source_id>/cancel/", api.SourceCancelApi.as_view(), name="import-cancel"),
    path("receipts/", api.ReceiptListApi.as_view(), name="receipt-list"),
    path("receipts/<int:receipt_id>/", api.ReceiptDetailApi.as_view(), name="receipt-detail"),
    path("messages/search/", api.MessageSearchApi.as_view(), name="message-search"),
]
