from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "tanggap.sla"
    label = "sla"

    def ready(self) -> None:
        from django.conf import settings

        from tanggap.periodic import registry

        registry.register("sla.check", _check, every=lambda: settings.TANGGAP_SLA_CHECK_SECONDS)


def _check(ctx):
    # Imported when the job first runs, not at start-up (every `tanggap` command starts here).
    from tanggap.sla.checks import check_job

    return check_job(ctx)
