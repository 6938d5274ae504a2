from django.urls import path

from tanggap.approvals import views

urlpatterns = [
    path("w/<slug:slug>/approvals/", views.queue_page, name="approvals"),
    path("w/<slug:slug>/approvals/rows", views.queue_rows, name="approval_rows"),
]
