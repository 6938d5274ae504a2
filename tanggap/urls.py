from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("tanggap.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tanggap.web.urls")),
]
