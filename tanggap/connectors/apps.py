from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "tanggap.connectors"
    label = "connectors"

    def ready(self) -> None:
        # The desk's replies leave through the cases room's outbox port; this room delivers them.
        from tanggap.cases import outbox
        from tanggap.connectors.tasks import enqueue_delivery

        outbox.register_deliverer(enqueue_delivery)
