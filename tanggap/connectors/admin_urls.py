"""The channel admin pages (/w/<slug>/channels/), included from tanggap/urls.py."""

from django.urls import path

from tanggap.connectors import admin_views

urlpatterns = [
    path("", admin_views.channel_list, name="channels"),
    path("add", admin_views.channel_add, name="channel_add"),
    path("<int:channel_id>/token", admin_views.channel_token, name="channel_token"),
    path("<int:channel_id>/options", admin_views.channel_options, name="channel_options"),
    path("dead-letters/", admin_views.dead_letter_list, name="dead_letters"),
    path("dead-letters/<int:event_id>/retry", admin_views.dead_letter_retry,
         name="dead_letter_retry"),
    path("dead-letters/<int:event_id>/discard", admin_views.dead_letter_discard,
         name="dead_letter_discard"),
]
