from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "tanggap.workspaces"
    label = "workspaces"

    def ready(self) -> None:
        from django.core import checks

        from tanggap.workspaces import ports

        checks.register(ports.check_ports)
