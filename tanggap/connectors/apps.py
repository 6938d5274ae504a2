from django.apps import AppConfig

# Every platform this desk speaks: one adapter class each (adding one: docs/platforms.md).
PLATFORM_ADAPTERS = (
    "tanggap.connectors.platforms.facebook.adapter.FacebookAdapter",
    "tanggap.connectors.platforms.instagram.adapter.InstagramAdapter",
    "tanggap.connectors.platforms.whatsapp.adapter.WhatsAppAdapter",
    "tanggap.connectors.platforms.x.adapter.XAdapter",
)


class ConnectorsConfig(AppConfig):
    name = "tanggap.connectors"
    label = "connectors"

    def ready(self) -> None:
        # Both ports are filled without importing the platforms or the desk's actions: every
        # `tanggap` command starts here, and most never send or parse anything.
        from tanggap.cases import outbox
        from tanggap.connectors.jobs import register_jobs
        from tanggap.connectors.platforms import registry
        from tanggap.connectors.tasks import enqueue_delivery

        for path in PLATFORM_ADAPTERS:
            registry.register_class(path)
        # The desk's replies leave through the cases room's outbox port; this room delivers them.
        outbox.register_deliverer(enqueue_delivery)
        # The sweep of stalled work and the X poller run in the periodic runner.
        register_jobs()
        # Sends and raw webhook bodies hold citizens' words and ids: anonymised with their cases.
        from tanggap.connectors.personal_data import ConnectorsData
        from tanggap.privacy import holders

        holders.register(ConnectorsData())
