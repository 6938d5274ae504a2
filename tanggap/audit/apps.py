from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tanggap.audit"
    label = "audit"
