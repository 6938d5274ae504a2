from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "tanggap.live"
    label = "live"
