from django.urls import path

from plugins.memories import views

app_name = "memories"

urlpatterns = [
    path("", views.memories_home, name="home"),
    path("thanks/", views.thanks, name="thanks"),
    path("thanks/<int:note_id>/visibility/", views.note_visibility, name="note-visibility"),
    path("thanks/<int:note_id>/delete/", views.note_delete, name="note-delete"),
    path("stories/", views.stories, name="stories"),
    path("stories/<int:story_id>/", views.story_detail, name="story-detail"),
    path("stories/<int:story_id>/edit/", views.story_edit, name="story-edit"),
    path("stories/<int:story_id>/approve/", views.story_approve, name="story-approve"),
    path("stories/<int:story_id>/decline/", views.story_decline, name="story-decline"),
    path("stories/<int:story_id>/delete/", views.story_delete, name="story-delete"),
    path("farewell/<int:board_id>/", views.board_detail, name="board"),
    path("farewell/messages/<int:message_id>/keep/", views.message_keep, name="message-keep"),
    path(
        "farewell/messages/<int:message_id>/not-kept/",
        views.message_discard,
        name="message-discard",
    ),
    path("farewell/messages/<int:message_id>/delete/", views.message_delete, name="message-delete"),
    path("teams/<slug:slug>/rituals/", views.team_rituals, name="rituals"),
    path("rituals/<int:ritual_id>/", views.ritual_detail, name="ritual-detail"),
    path("rituals/<int:ritual_id>/edit/", views.ritual_edit, name="ritual-edit"),
    path("rituals/<int:ritual_id>/delete/", views.ritual_delete, name="ritual-delete"),
]
