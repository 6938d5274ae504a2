from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tanggap.cases"
    label = "cases"

    def ready(self) -> None:
        from django.core import checks

        from tanggap.cases import outbox
        from tanggap.workspaces import ports

        checks.register(outbox.check_deliverer)
        ports.register_claim_releaser(_release_claims_of)


def _release_claims_of(**kwargs) -> int:
    # Imported when a member leaves, not at start-up: the actions load the language engine, and
    # every `tanggap` command starts Django.
    from tanggap.cases.actions import release_claims_of

    return release_claims_of(**kwargs)
