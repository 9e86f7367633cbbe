from django.urls import path

from plugins.relationships import views

app_name = "relationships"

urlpatterns = [
    path("", views.people_map, name="map"),
    path("me/", views.my_manual, name="mine"),
    path("me/topics/", views.topic_add, name="topic-add"),
    path("me/topics/<int:topic_id>/remove/", views.topic_remove, name="topic-remove"),
    path("<int:person_id>/", views.person_detail, name="person-detail"),
    path("<int:person_id>/notes/", views.note_create, name="note-create"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<int:note_id>/veto/", views.note_veto, name="note-veto"),
    path("notes/<int:note_id>/keep/", views.note_keep, name="note-keep"),
    path("notes/<int:note_id>/restore/", views.note_restore, name="note-restore"),
    path("notes/<int:note_id>/delete/", views.note_delete, name="note-delete"),
]
