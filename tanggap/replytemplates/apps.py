from django.apps import AppConfig


class TemplatesConfig(AppConfig):
    name = "tanggap.replytemplates"
    label = "replytemplates"
    verbose_name = "Reply templates"
