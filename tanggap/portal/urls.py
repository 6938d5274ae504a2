"""The citizen-facing portal (Si-Tanggap): the public form and the tracking page."""

urlpatterns: list = []
