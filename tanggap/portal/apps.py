from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "tanggap.portal"
    label = "portal"
