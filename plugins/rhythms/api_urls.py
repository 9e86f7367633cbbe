from django.urls import path

from plugins.rhythms import api

urlpatterns = [
    path("teams/<slug:slug>/", api.TeamRhythmsApi.as_view(), name="rhythms-team"),
]
