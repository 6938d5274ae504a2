from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "tanggap.approvals"
    label = "approvals"

    def ready(self) -> None:
        from tanggap.approvals.gate import hold_if_needed
        from tanggap.approvals.personal_data import ApprovalsData
        from tanggap.cases import holds
        from tanggap.privacy import holders

        # Replies that need a supervisor's approval are held by this room (cases.holds).
        holds.register_gate(hold_if_needed)
        # Held replies quote and name citizens: anonymised with their cases.
        holders.register(ApprovalsData())
