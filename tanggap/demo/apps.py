from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "tanggap.demo"
    label = "demo"
