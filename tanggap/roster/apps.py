from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "tanggap.roster"
    label = "roster"

    def ready(self) -> None:
        from tanggap.cases import arrivals
        from tanggap.roster.jobs import register_jobs
        from tanggap.roster.tasks import enqueue_offer

        # New and re-opened cases are offered to an operator on duty (fair assignment).
        arrivals.register_arrival_handler(enqueue_offer)
        register_jobs()
        # Hand-over notes name citizens: anonymised with their cases.
        from tanggap.privacy import holders
        from tanggap.roster.personal_data import RosterData

        holders.register(RosterData())
