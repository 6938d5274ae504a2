"""The webhooks page of a workspace, included at /w/<slug>/webhooks/."""

from django.urls import path

from tanggap.hooks import views

urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("add", views.webhook_add, name="webhook_add"),
    path("<int:endpoint_id>", views.webhook_change, name="webhook_change"),
]
