from django.urls import include, path

from tanggap.roster import views as roster_views

urlpatterns = [
    path("api/v1/", include("tanggap.api.urls")),
    path("webhooks/", include("tanggap.connectors.urls")),
    path("lapor/", include("tanggap.portal.urls")),
    path("transparansi/", include("tanggap.reports.public_urls")),
    path("open311/", include("tanggap.reports.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("w/<slug:slug>/channels/", include("tanggap.connectors.admin_urls")),
    path("", include("tanggap.referrals.urls")),
    path("w/<slug:slug>/roster/", include("tanggap.roster.urls")),
    path("roster/feed/<str:token>.ics", roster_views.feed, name="roster_feed"),
    path("", include("tanggap.alerts.urls")),
    path("", include("tanggap.replytemplates.urls")),
    path("", include("tanggap.approvals.urls")),
    path("w/<slug:slug>/reports/", include("tanggap.reports.urls")),
    path("w/<slug:slug>/webhooks/", include("tanggap.hooks.urls")),
    path("", include("tanggap.web.urls")),
]

# JSON on API paths, Django's pages elsewhere.
handler400 = "tanggap.api.views.bad_request"
handler500 = "tanggap.api.views.server_error"
