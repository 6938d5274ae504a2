from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tanggap.referrals"
    label = "referrals"

    def ready(self) -> None:
        # Reminders and escalations of late referrals run in the periodic runner.
        from tanggap.privacy import holders
        from tanggap.referrals.jobs import register_jobs
        from tanggap.referrals.personal_data import ReferralsData

        register_jobs()
        # Notes, answers and the cases opened at a body's own desk quote citizens: anonymised
        # with their cases.
        holders.register(ReferralsData())

        # Canned replies and the citizen's reply of a referral share the desk's template
        # engine; a referral adds {instansi} and {tenggat} to it.
        from django.utils.translation import gettext_lazy as _

        from tanggap.cases import templating
        from tanggap.referrals.queries import open_referral_values

        templating.register_fields(
            "referrals", {"instansi": _("the body the case was referred to"),
                          "tenggat": _("the date the body should answer by")},
            open_referral_values)
