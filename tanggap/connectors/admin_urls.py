"""The channel admin pages (/w/<slug>/channels/), included from tanggap/urls.py."""

from django.urls import path

from tanggap.connectors import admin_views

urlpatterns = [
    path("", admin_views.channel_list, name="channels"),
    path("add", admin_views.channel_add, name="channel_add"),
    path("<int:channel_id>/token", admin_views.channel_token, name="channel_token"),
    path("<int:channel_id>/options", admin_views.channel_options, name="channel_options"),
]
