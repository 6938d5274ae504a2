"""Platform webhooks (/webhooks/...)."""

from django.urls import path

from tanggap.connectors.webhooks import meta_webhook

urlpatterns = [
    path("meta", meta_webhook, name="webhook_meta"),
]
