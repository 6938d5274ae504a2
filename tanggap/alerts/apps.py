from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "tanggap.alerts"
    label = "alerts"
