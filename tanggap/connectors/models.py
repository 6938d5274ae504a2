"""Channel accounts: the city's accounts on each platform, with their credentials encrypted."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    WEB = "web", _("Web")
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"


class ChannelAccount(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="channels"
    )
    platform = models.CharField(max_length=20, choices=Platform.choices)
    # The platform's own id for the account: page id, Instagram account id, WhatsApp
    # phone_number_id, X handle; webhooks find the channel by it.
    handle = models.CharField(max_length=120)
    name = models.CharField(max_length=200, blank=True)
    # Fernet token (see connectors.crypto); never rendered, never logged.
    credentials_encrypted = models.TextField(blank=True, default="")
    # Demo channels are served by the simulator instead of a platform API.
    simulated = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="channel_platform_handle"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.handle}"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)
