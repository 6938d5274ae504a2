from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tanggap.reports"
    label = "reports"

    def ready(self) -> None:
        # The roll-ups follow the audit trail in the periodic runner; Open311's own requests are
        # a location source like the portal's (tanggap.reports.locations).
        from tanggap.reports import jobs, locations, open311
        from tanggap.reports.open311.locations import case_locations

        jobs.register_jobs()
        locations.register_source(open311.SUBMITTED, case_locations)

        from tanggap.privacy import holders
        from tanggap.reports.personal_data import ReportsData

        # What an Open311 client sent about the citizen goes with their cases when they are
        # anonymised or erased.
        holders.register(ReportsData())
