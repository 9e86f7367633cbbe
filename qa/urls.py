"""HTML routes of the web chat, the knowledge requests and chat accounts, under /ask/."""

from django.urls import path

from qa import views
from qa.bots import views as bot_views
from qa.mcp import views as mcp_views

app_name = "qa"

urlpatterns = [
    path("", views.ask, name="ask"),
    path("chats/<int:chat_id>/", views.ask, name="chat"),
    path("questions/<int:question_id>/feedback/", views.feedback, name="feedback"),
    path("questions/<int:question_id>/ask-person/", views.ask_person, name="ask-person"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/<int:request_id>/", views.request_detail, name="request-detail"),
    path("entries/<int:entry_id>/", views.entry_detail, name="entry-detail"),
    path("assistant-tokens/", mcp_views.token_create, name="assistant-token-create"),
    path(
        "assistant-tokens/<int:token_id>/revoke/",
        mcp_views.token_revoke,
        name="assistant-token-revoke",
    ),
    path("connect/<str:token>/", bot_views.connect_account, name="connect-account"),
    path(
        "chat-accounts/<int:account_id>/unlink/",
        bot_views.chat_account_unlink,
        name="chat-account-unlink",
    ),
]
