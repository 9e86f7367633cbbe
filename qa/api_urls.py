"""REST routes of the answer service, under /api/ask/ (``POST /api/ask`` itself is in config)."""

from django.urls import path

from qa import api

urlpatterns = [
    path("questions/<int:question_id>/feedback/", api.FeedbackApi.as_view(), name="qa-feedback"),
    path(
        "questions/<int:question_id>/ask-person/",
        api.AskPersonApi.as_view(),
        name="qa-ask-person",
    ),
    path("requests/", api.RequestListApi.as_view(), name="qa-request-list"),
    path(
        "requests/<int:request_id>/answer/",
        api.RequestAnswerApi.as_view(),
        name="qa-request-answer",
    ),
]
