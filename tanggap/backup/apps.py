from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "tanggap.backup"
    label = "backup"
