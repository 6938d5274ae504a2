from django.urls import include, path

from tanggap.live.views import relay

urlpatterns = [
    path("api/v1/", include("tanggap.api.urls")),
    path("internal/live-relay", relay, name="live_relay"),
    path("webhooks/", include("tanggap.connectors.urls")),
    path("lapor/", include("tanggap.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("w/<slug:slug>/channels/", include("tanggap.connectors.admin_urls")),
    path("", include("tanggap.web.urls")),
]
