"""The bots' event endpoints, under /bots/ (signed by the platforms; POST only)."""

from django.urls import path

from qa.bots import views

app_name = "bots"

urlpatterns = [
    path("slack/events", views.slack_events, name="slack-events"),
    path("feishu/events", views.feishu_events, name="feishu-events"),
]
