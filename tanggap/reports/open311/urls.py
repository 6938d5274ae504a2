"""GeoReport v2, included at /open311/. Every resource answers in .json or .xml."""

from django.urls import re_path

from tanggap.reports.open311 import views

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^v2/discovery" + FMT, views.discovery, name="open311_discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="open311_services"),
    re_path(r"^v2/services/(?P<code>[A-Za-z0-9_\-]{1,40})" + FMT, views.service_definition,
            name="open311_service"),
    re_path(r"^v2/requests" + FMT, views.service_requests, name="open311_requests"),
    re_path(r"^v2/requests/(?P<request_id>\d{1,18})" + FMT, views.service_request,
            name="open311_request"),
]
