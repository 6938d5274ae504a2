from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "tanggap.live"
    label = "live"

    def ready(self) -> None:
        from tanggap.live import fanout
        from tanggap.workspaces import ports

        # A deactivated, removed or re-passworded member's open inboxes close at once.
        ports.register_session_watcher(fanout.recheck_sessions)
