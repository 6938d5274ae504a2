"""Platform webhooks (/webhooks/...)."""

urlpatterns: list = []
