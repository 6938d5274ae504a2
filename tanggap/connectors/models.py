"""Channel accounts: the city's accounts on each platform, with their credentials encrypted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # How the account is named: the platform's id for Meta (page id, Instagram account id,
    # WhatsApp phone_number_id), the username for X; for `web` and demo channels, any name.
    handle = models.CharField(max_length=120)
    # The platform's id of the account, as the platform confirmed it to the token that connected
    # it (equal to the handle for Meta, the numeric user id for X). Webhooks route by it, and it
    # is unique across the desk. Empty for web and demo channels, which prove nothing and never
    # receive a platform's webhooks.
    account_id = models.CharField(max_length=120, blank=True, default="")
    # When a token last proved control of account_id (actions.channels). Null on a channel
    # connected before proofs existed: another workspace that proves control takes it over.
    verified_at = models.DateTimeField(null=True, blank=True)
    name = models.CharField(max_length=200, blank=True)
    # Fernet token (see connectors.crypto); never rendered, never logged.
    credentials_encrypted = models.TextField(blank=True, default="")
    # Demo channels are served by the simulator instead of a platform API.
    simulated = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Non-secret per-account settings (docs/platforms.md): e.g. {"human_agent": true} once Meta
    # granted the Human Agent feature, {"whatsapp_reply_template": {...}}, {"x_user_id": "..."},
    # {"api": "instagram"} for Instagram-Login accounts.
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    # When a webhook last brought something for this account (set by the worker, one UPDATE per
    # delivery); shown to admins so a silent subscription is noticed.
    last_webhook_at = models.DateTimeField(null=True, blank=True)

    # Renewing an expiring access token (X OAuth 2.0 user tokens live 2 hours). A Fernet token of
    # {"refresh_token", "client_id", "client_secret"} (the client pair optional: settings
    # X_CLIENT_ID/X_CLIENT_SECRET otherwise); never rendered, never logged. X rotates the refresh
    # token on each use, so platforms/x/tokens.py rewrites it with the access token in one
    # conditional UPDATE (compare-and-set on this column).
    refresh_encrypted = models.TextField(blank=True, default="")
    # When the stored access token stops working (null: unknown, e.g. a pasted plain token).
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_refreshed_at = models.DateTimeField(null=True, blank=True)
    # The platform refused our refresh token (revoked, already used): shown to admins, and no
    # refresh is tried again until a new token is saved (each try would be refused the same way).
    token_failed_at = models.DateTimeField(null=True, blank=True)
    token_error = models.CharField(max_length=500, blank=True, default="")
    # A worker is renewing the token until then (a lease claimed by a conditional UPDATE, so the
    # call to the platform runs with no database lock held; platforms/x/tokens.py).
    token_renewal_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One platform account, one channel, in the whole desk.
            models.UniqueConstraint(fields=["platform", "account_id"],
                                    condition=~Q(account_id=""), name="channel_account_once"),
            # Channels without a platform account (web, demo) keep desk-wide names, as before.
            models.UniqueConstraint(fields=["platform", "handle"], condition=Q(account_id=""),
                                    name="channel_unproven_handle"),
            models.UniqueConstraint(fields=["workspace", "platform", "handle"],
                                    name="channel_handle_in_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.handle}"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    @property
    def has_refresh_token(self) -> bool:
        return bool(self.refresh_encrypted)


class WebhookDelivery(models.Model):
    """One signed webhook POST, stored raw before we answer 200 (nothing acknowledged is lost).

    An append-only intake log rather than tenant data: one POST may carry entries for several
    accounts. The worker parses it later; `processed_at` is set in the same transaction as the
    messages it produced, so a crash mid-way re-processes the whole delivery (idempotently).
    """

    source = models.CharField(max_length=20)
    body = models.BinaryField()
    # The same bytes twice (a redelivery, a replay) are stored once.
    body_sha256 = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    stored_messages = models.PositiveIntegerField(default=0)
    # Why some or all of it could not be used (malformed, unknown account); shown to admins.
    error = models.CharField(max_length=500, blank=True, default="")

    # Set by the sweep when it re-enqueued this delivery, so a slow queue is not flooded.
    requeued_at = models.DateTimeField(null=True, blank=True)
    # Processing raised CONNECTORS_WEBHOOK_MAX_ATTEMPTS times (a bug, not a bad event, which
    # fails alone): not tried again; its events went to their channels' dead letters.
    dead_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["processed_at", "id"], name="webhook_pending_idx")]


class FailedEventState(models.TextChoices):
    FAILED = "failed", _("Failed")
    RETRIED = "retried", _("Stored on retry")
    DISCARDED = "discarded", _("Discarded")


class FailedWebhookEvent(models.Model):
    """A dead letter: one event of a signed webhook delivery that could not be stored (a text
    the database refuses, a bug), kept with the reason and the event as it came, while the other
    events of the delivery were stored. Workspace admins see those of their channels and retry or
    discard them (audited); nothing acknowledged disappears silently."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE,
                                 related_name="failed_events")
    channel = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE,
                                related_name="failed_events")
    # The event as a one-entry Meta envelope (platforms.meta.RawEvent), JSON text.
    raw = models.TextField()
    # The platform id of the failing event within it (a message id), when it got that far.
    event_id = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=500)
    attempts = models.PositiveIntegerField(default=1)
    state = models.CharField(max_length=10, choices=FailedEventState.choices,
                             default=FailedEventState.FAILED)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["channel", "state", "id"], name="failed_event_idx")]


class IntakeQueue(models.Model):
    """One row per webhook source: whether a drain task is queued and has not started yet.

    Intake sets it (and enqueues a drain) in the same transaction that stores the body, so under
    load one drain serves many webhooks instead of one task each. The drain clears it before it
    looks for work, so a body stored after that look queues the next drain.
    """

    source = models.CharField(max_length=20, unique=True)
    drain_queued = models.BooleanField(default=False)


class OutboundState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    IN_FLIGHT = "in_flight", _("Sending")
    # An attempt failed in a way that may pass; the task is queued to run at `retry_at`.
    RETRY = "retry", _("Waiting to retry")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # It may have reached the platform and nobody could tell: shown as needing a check.
    UNKNOWN = "unknown", _("Needs checking")


class Outbound(models.Model):
    """The record of one platform send, written before the call (no platform takes our key).

    `idempotency_key` travels with the send where the platform echoes it (Messenger metadata,
    WhatsApp biz_opaque_callback_data). A record found IN_FLIGHT at the next attempt means an
    earlier attempt may have posted: the adapter looks for our earlier reply before posting.
    """

    message = models.OneToOneField(
        "cases.Message", on_delete=models.CASCADE, related_name="outbound"
    )
    channel = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT)
    idempotency_key = models.CharField(max_length=100, unique=True)
    operation = models.CharField(max_length=40)
    target_id = models.CharField(max_length=200, blank=True, default="")
    # What is sent, minus credentials: {"api", "method", "path", "json"|"params"}.
    request = models.JSONField(default=dict)
    state = models.CharField(
        max_length=10, choices=OutboundState.choices, default=OutboundState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # When the next attempt (or, with the attempts spent, the look for our post) is due.
    retry_at = models.DateTimeField(null=True, blank=True)
    # An attempt may have reached the platform (a timeout after sending, a 5xx): the next run
    # looks for our earlier post before posting, and the last one never reports failed blind.
    ambiguous = models.BooleanField(default=False)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    # Finer than the message's delivery status: WhatsApp's sent/delivered/read/failed.
    platform_status = models.CharField(max_length=20, blank=True, default="")
    error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["channel", "external_id"], name="outbound_external_idx")]


class PollCursor(models.Model):
    """Where polling of one account stands, and what the platform says is left of our budget.

    `since_id` is written in the same transaction as the messages it covers.
    """

    channel = models.OneToOneField(
        ChannelAccount, on_delete=models.CASCADE, related_name="poll_cursor"
    )
    since_id = models.CharField(max_length=40, blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # From x-rate-limit-* headers of the last answer: calls left in the current 15-min window.
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    rate_remaining = models.PositiveIntegerField(null=True, blank=True)
    rate_reset_at = models.DateTimeField(null=True, blank=True)
    # Running totals, because each read costs the city money (docs/platforms.md).
    calls_made = models.PositiveIntegerField(default=0)
    posts_read = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")

    # Direct messages (GET /2/dm_events) have no since_id: the newest event id we stored, written
    # in the same transaction as those messages; a walk newest-first stops when it reaches it.
    dm_newest_id = models.CharField(max_length=40, blank=True, default="")
    dm_last_polled_at = models.DateTimeField(null=True, blank=True)
    # DM lookups have their own, much smaller budget (15 per 15 min per user).
    dm_rate_limit = models.PositiveIntegerField(null=True, blank=True)
    dm_rate_remaining = models.PositiveIntegerField(null=True, blank=True)
    dm_rate_reset_at = models.DateTimeField(null=True, blank=True)
    # Each DM event read is billed (more than a post), so it is counted apart.
    dm_events_read = models.PositiveIntegerField(default=0)
    # The platform refused DMs for this account (tier, missing dm.read scope, app not enrolled):
    # shown to admins and not asked again before X_DM_RECHECK_HOURS or a new token.
    dm_refused_at = models.DateTimeField(null=True, blank=True)
    dm_error = models.CharField(max_length=500, blank=True, default="")


class ModerationState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    IN_FLIGHT = "in_flight", _("Applying")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CommentModeration(models.Model):
    """Whether the desk wants a citizen's public comment hidden on the platform, and whether the
    platform did it. One row per comment; each request bumps `generation`.

    The request (an audited action) and the platform call (a task after commit) are separate, so
    the call never runs inside a transaction. A worker applies the latest wish: if a new request
    arrives while a call is in flight, the worker finds `generation` moved on and goes again
    instead of reporting a stale result. Hiding is idempotent on the platform (is_hidden=true
    twice is one hidden comment), so a retry after a lost answer is safe.
    """

    message = models.OneToOneField(
        "cases.Message", on_delete=models.CASCADE, related_name="moderation"
    )
    channel = models.ForeignKey(ChannelAccount, on_delete=models.PROTECT)
    hidden = models.BooleanField()  # what the desk asked for
    platform_hidden = models.BooleanField(null=True, blank=True)  # what the platform confirmed
    state = models.CharField(
        max_length=10, choices=ModerationState.choices, default=ModerationState.PENDING
    )
    generation = models.PositiveIntegerField(default=1)
    attempts = models.PositiveIntegerField(default=0)
    # A failed attempt that may pass is tried again then (the task is queued to run at it).
    retry_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+"
    )
    requested_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"], name="moderation_state_idx")]
