from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "tanggap.connectors"
    label = "connectors"

    def ready(self) -> None:
        from tanggap.cases import outbox
        from tanggap.connectors.jobs import register_jobs
        from tanggap.connectors.platforms import registry
        from tanggap.connectors.platforms.facebook.adapter import FacebookAdapter
        from tanggap.connectors.platforms.instagram.adapter import InstagramAdapter
        from tanggap.connectors.platforms.whatsapp.adapter import WhatsAppAdapter
        from tanggap.connectors.platforms.x.adapter import XAdapter
        from tanggap.connectors.tasks import enqueue_delivery

        # Every platform this desk speaks (adding one: docs/platforms.md).
        for adapter in (FacebookAdapter(), InstagramAdapter(), WhatsAppAdapter(), XAdapter()):
            registry.register(adapter)
        # The desk's replies leave through the cases room's outbox port; this room delivers them.
        outbox.register_deliverer(enqueue_delivery)
        # The sweep of stalled work and the X poller run in the periodic runner.
        register_jobs()
