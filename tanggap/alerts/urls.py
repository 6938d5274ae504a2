from django.urls import path

from tanggap.alerts import views

urlpatterns = [
    path("manifest.webmanifest", views.manifest, name="alerts_manifest"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("sw.js", views.service_worker, name="alerts_service_worker"),
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/preferences", views.preferences, name="alerts_preferences"),
    path("alerts/subscription", views.subscription, name="alerts_subscription"),
]
