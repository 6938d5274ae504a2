from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tanggap.cases"
    label = "cases"

    def ready(self) -> None:
        from django.core import checks

        from tanggap.cases import outbox

        checks.register(outbox.check_deliverer)
