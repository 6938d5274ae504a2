from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "tanggap.connectors"
    label = "connectors"
