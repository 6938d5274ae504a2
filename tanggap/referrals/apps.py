from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tanggap.referrals"
    label = "referrals"
