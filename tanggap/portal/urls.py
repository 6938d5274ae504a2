"""The citizen-facing portal (Si-Tanggap): the public form and the tracking page.

`status/` comes first, so it wins over a workspace that might be called "status".
"""

from django.urls import path

from tanggap.portal import views

urlpatterns = [
    path("status/", views.status_lookup, name="portal_status_lookup"),
    path("status/<str:tracking>/", views.status, name="portal_status"),
    path("desk/cases/<int:case_id>/messages/<int:message_id>/photos/<int:index>",
         views.desk_photo, name="portal_desk_photo"),
    path("<slug:slug>/", views.report, name="portal_report"),
]
