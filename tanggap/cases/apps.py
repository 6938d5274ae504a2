from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tanggap.cases"
    label = "cases"

    def ready(self) -> None:
        from django.core import checks

        from tanggap.cases import outbox
        from tanggap.cases.jobs import register_jobs
        from tanggap.workspaces import ports

        checks.register(outbox.check_deliverer)
        ports.register_claim_releaser(_release_claims_of)
        # The fallback that retrains a workspace's language model runs in the periodic runner.
        register_jobs()


def _release_claims_of(**kwargs) -> int:
    # Imported when a member leaves, not at start-up: the actions load the language engine, and
    # every `tanggap` command starts Django.
    from tanggap.cases.actions import release_claims_of

    return release_claims_of(**kwargs)
