from django.apps import AppConfig


class PeriodicConfig(AppConfig):
    name = "tanggap.periodic"
    label = "periodic"
