from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "tanggap.hooks"
    label = "hooks"

    def ready(self) -> None:
        # Case events are read from the audit trail in the periodic runner; deliveries go out
        # through the task worker (tanggap.hooks.delivery).
        from tanggap.hooks.jobs import register_jobs

        register_jobs()
