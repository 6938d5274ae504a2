from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tanggap.api.urls")),
    path("webhooks/", include("tanggap.connectors.urls")),
    path("lapor/", include("tanggap.portal.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("w/<slug:slug>/channels/", include("tanggap.connectors.admin_urls")),
    path("", include("tanggap.referrals.urls")),
    path("", include("tanggap.web.urls")),
]

# JSON on API paths, Django's pages elsewhere.
handler400 = "tanggap.api.views.bad_request"
handler500 = "tanggap.api.views.server_error"
