from django.apps import AppConfig


def _case_locations(case_ids: list[int]) -> dict[int, tuple]:
    # Imported when first asked: portal.queries loads the platforms' helpers, which a command
    # that never reads a report must not pay for at start-up.
    from tanggap.portal.queries import case_locations

    return case_locations(case_ids)


class PortalConfig(AppConfig):
    name = "tanggap.portal"
    label = "portal"

    def ready(self) -> None:
        # The reports map reports by area: they learn where a form report was made from here,
        # after its portal.submitted event, and keep only the coarse area.
        from tanggap.reports import locations

        locations.register_source("portal.submitted", _case_locations)

        from tanggap.portal.personal_data import PortalData
        from tanggap.privacy import holders

        # What the form keeps about a citizen (typed contact, location, photos) goes with their
        # cases when they are anonymised or erased.
        holders.register(PortalData())
