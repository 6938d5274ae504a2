from django.apps import AppConfig


class TemplatesConfig(AppConfig):
    name = "tanggap.templates"
    label = "templates"
    verbose_name = "Reply templates"
