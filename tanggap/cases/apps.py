from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tanggap.cases"
    label = "cases"

    def ready(self) -> None:
        from django.core import checks

        from tanggap.cases import actions, outbox
        from tanggap.workspaces import ports

        checks.register(outbox.check_deliverer)
        ports.register_claim_releaser(actions.release_claims_of)
