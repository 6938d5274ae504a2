from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tanggap.referrals"
    label = "referrals"

    def ready(self) -> None:
        # Reminders and escalations of late referrals run in the periodic runner.
        from tanggap.referrals.jobs import register_jobs

        register_jobs()
