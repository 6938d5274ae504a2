from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tanggap.api"
    label = "api"
