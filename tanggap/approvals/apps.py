from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "tanggap.approvals"
    label = "approvals"

    def ready(self) -> None:
        from tanggap.approvals.gate import hold_if_needed
        from tanggap.cases import holds

        # Replies that need a supervisor's approval are held by this room (cases.holds).
        holds.register_gate(hold_if_needed)
