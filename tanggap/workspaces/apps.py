from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "tanggap.workspaces"
    label = "workspaces"
