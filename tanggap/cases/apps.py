from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tanggap.cases"
    label = "cases"
