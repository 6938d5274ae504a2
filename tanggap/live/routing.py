from django.urls import path

from tanggap.live.consumers import InboxConsumer

websocket_urlpatterns = [
    path("ws/w/<slug:slug>/", InboxConsumer.as_asgi()),
]
