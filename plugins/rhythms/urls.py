from django.urls import path

from plugins.rhythms import views

app_name = "rhythms"

urlpatterns = [
    path("", views.rhythms_home, name="home"),
    path("<slug:slug>/", views.team_rhythms, name="team"),
    path("<slug:slug>/agreements/", views.agreement_edit, name="agreement-edit"),
]
