"""Writes of channel accounts: adding one (the CLI, the demo, the admin page), replacing its
token, setting its options. Workspace admins only, through connectors.access; the token is
encrypted before it touches the database and appears in no event, log or answer."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.cleaning import clean_handle
from tanggap.connectors.access import access_channel_admin, access_channel_admin_by_id
from tanggap.connectors.crypto import CredentialsUnreadable, encrypt_secret
from tanggap.connectors.models import ChannelAccount, Platform, PollCursor
from tanggap.connectors.platforms.x import tokens as x_tokens
from tanggap.errors import Conflict, InvalidInput


def _renewal_fields(*, platform: str, refresh_token: str, expires_in, client_id: str,
                    client_secret: str, now: datetime, kept: dict | None = None) -> dict:
    """The ChannelAccount fields for a token that may come with a refresh token (X only).

    Without a refresh token the access token is used until it fails, as before. `kept`: the
    channel's stored client pair, kept when the form leaves the client fields empty.
    """
    refresh_token, client_id = (refresh_token or "").strip(), (client_id or "").strip()
    client_secret = (client_secret or "").strip()
    if (refresh_token or client_id or client_secret) and platform != Platform.X:
        raise InvalidInput(_("Refresh tokens are only used for X."), fields=["refresh_token"])
    if client_secret and not client_id:
        raise InvalidInput(_("A client secret needs its client id."), fields=["client_id"])
    if max(len(refresh_token), len(client_id), len(client_secret)) > 4000:
        raise InvalidInput(_("The access token is too long."), fields=["refresh_token"])
    if expires_in not in (None, ""):
        try:
            expires_in = int(expires_in)
        except (TypeError, ValueError):
            raise InvalidInput(_("expires_in must be a number of seconds."),
                               fields=["expires_in"]) from None
    if not client_id and kept:
        client_id, client_secret = kept["client_id"], kept["client_secret"]
    return {
        "refresh_encrypted": x_tokens.seal_refresh(
            refresh_token=refresh_token, client_id=client_id, client_secret=client_secret)
        if refresh_token else "",
        # Unknown lifetime (a pasted token): it is renewed after X's first 401 instead.
        "token_expires_at": x_tokens.expires_at(now, expires_in)
        if expires_in not in (None, "") else None,
        "token_refreshed_at": None, "token_failed_at": None, "token_error": "",
        "token_renewal_until": None,
    }


def _refresh_audit(channel: ChannelAccount, has: bool | None = None) -> dict:
    """Whether a refresh token is stored, in audit payloads of the only platform that has them."""
    if channel.platform != Platform.X:
        return {}
    return {"has_refresh_token": channel.has_refresh_token if has is None else has}


def add_channel(
    *, workspace, platform: str, handle: str, now: datetime, actor=None, name: str = "",
    token: str = "", simulated: bool = False, refresh_token: str = "", expires_in=None,
    client_id: str = "", client_secret: str = "",
) -> ChannelAccount:
    if platform not in Platform.values:
        raise InvalidInput(f"platform must be one of {', '.join(Platform.values)}")
    handle = clean_handle(handle or "", field="handle", limit=120)
    name = clean_handle(name, field="name", limit=200) if name and name.strip() else ""
    renewal = _renewal_fields(platform=platform, refresh_token=refresh_token,
                              expires_in=expires_in, client_id=client_id,
                              client_secret=client_secret, now=now)
    if renewal["refresh_encrypted"] and not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    try:
        with transaction.atomic():
            channel = ChannelAccount.objects.create(
                workspace=workspace,
                platform=platform,
                handle=handle,
                name=name or handle,
                credentials_encrypted=encrypt_secret(token) if token else "",
                simulated=simulated,
                created_at=now,
                **renewal,
            )
            events.record(
                workspace_id=workspace.pk, actor=actor, action="channel.added", now=now,
                obj=channel,
                after={"platform": platform, "handle": handle, "has_credentials": bool(token),
                       **_refresh_audit(channel)},
            )
    except IntegrityError:
        raise Conflict(f"a {platform} channel with handle {handle!r} already exists") from None
    return channel


def connect_channel(*, slug: str, actor, platform: str, handle: str, now: datetime,
                    name: str = "", token: str = "", refresh_token: str = "",
                    expires_in=None, client_id: str = "",
                    client_secret: str = "") -> ChannelAccount:
    """add_channel for a workspace admin (the admin page); others NotFound / Forbidden."""
    membership = access_channel_admin(actor, slug)
    return add_channel(workspace=membership.workspace, platform=platform, handle=handle,
                       now=now, actor=actor, name=name, token=(token or "").strip(),
                       refresh_token=refresh_token, expires_in=expires_in,
                       client_id=client_id, client_secret=client_secret)


def _locked_channel_for_admin(channel_id: int, actor) -> ChannelAccount:
    channel = access_channel_admin_by_id(actor, channel_id)
    return ChannelAccount.objects.select_for_update().get(pk=channel.pk)


def replace_channel_token(*, channel_id: int, actor, token: str, now: datetime,
                          refresh_token: str = "", expires_in=None, client_id: str = "",
                          client_secret: str = "") -> ChannelAccount:
    """Store a new access token for a channel (workspace admins only). The token is encrypted
    before it touches the database and appears in no event, log or answer.

    X: with a refresh token the access token is renewed before it expires; without one, a
    stored refresh token is dropped (it belonged to the earlier authorization). Saving clears a
    refused renewal, so renewing starts again."""
    token = (token or "").strip()
    if not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    if len(token) > 4000:
        raise InvalidInput(_("The access token is too long."), fields=["token"])
    with transaction.atomic():
        channel = _locked_channel_for_admin(channel_id, actor)
        had, had_refresh = channel.has_credentials, channel.has_refresh_token
        kept = None
        if channel.refresh_encrypted:
            try:
                kept = x_tokens.open_refresh(channel.refresh_encrypted)
            except CredentialsUnreadable:
                kept = None  # a rotated key: the new token is what the admin is fixing that with
        renewal = _renewal_fields(platform=channel.platform, refresh_token=refresh_token,
                                  expires_in=expires_in, client_id=client_id,
                                  client_secret=client_secret, now=now, kept=kept)
        channel.credentials_encrypted = encrypt_secret(token)
        for name, value in renewal.items():
            setattr(channel, name, value)
        channel.save(update_fields=["credentials_encrypted", *renewal])
        # A new token may carry the scopes or tier X refused DMs for: ask again at the next poll.
        PollCursor.objects.filter(channel=channel).update(dm_refused_at=None)
        events.record(workspace_id=channel.workspace_id, actor=actor, now=now, obj=channel,
                      action="channel.credentials_replaced",
                      before={"has_credentials": had, **_refresh_audit(channel, had_refresh)},
                      after={"has_credentials": True, **_refresh_audit(channel)})
    return channel


# The options the connectors read (docs/platforms.md), and which platforms read each.
OPTION_PLATFORMS = {
    "human_agent": {Platform.FACEBOOK, Platform.INSTAGRAM},
    "api": {Platform.INSTAGRAM},
    "whatsapp_reply_template": {Platform.WHATSAPP},
}


def set_channel_options(*, channel_id: int, actor, now: datetime, human_agent: bool = False,
                        instagram_login: bool = False, whatsapp_template: str = "",
                        whatsapp_template_language: str = "id") -> ChannelAccount:
    """Set the options this channel's platform reads; others (e.g. the cached x_user_id) stay."""
    whatsapp_template = (whatsapp_template or "").strip()
    language = (whatsapp_template_language or "").strip() or "id"
    if len(whatsapp_template) > 512 or len(language) > 15:
        raise InvalidInput(_("The template name or language is too long."))
    with transaction.atomic():
        channel = _locked_channel_for_admin(channel_id, actor)
        before = dict(channel.options or {})
        options = {k: v for k, v in before.items() if k not in OPTION_PLATFORMS}
        wanted = {"human_agent": human_agent or None,
                  "api": "instagram" if instagram_login else None,
                  "whatsapp_reply_template": {"name": whatsapp_template, "language": language}
                  if whatsapp_template else None}
        for name, value in wanted.items():
            if channel.platform in OPTION_PLATFORMS[name] and value is not None:
                options[name] = value
        if options == before:
            return channel
        channel.options = options
        channel.save(update_fields=["options"])
        events.record(workspace_id=channel.workspace_id, actor=actor, now=now, obj=channel,
                      action="channel.options_changed", before=before, after=options)
    return channel
