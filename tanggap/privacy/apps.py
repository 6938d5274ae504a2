from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tanggap.privacy"
    label = "privacy"

    def ready(self) -> None:
        from tanggap.privacy.jobs import register_jobs

        # Closed cases past their workspace's retention are anonymised by the periodic runner.
        register_jobs()
