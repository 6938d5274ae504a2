"""Writes of channel accounts: adding one (the CLI, the demo, the admin page), replacing its
token, setting its options. Workspace admins only, through connectors.access; the token is
encrypted before it touches the database and appears in no event, log or answer.

No platform account is connected, and no token saved, without proof: the platform is asked
(AccountProver.prove, through the one HTTP client, with no transaction open) which account the
pasted token controls, and only that account is stored. A refusal says the same whether or not
the account is connected anywhere in this desk (the desk is not consulted before the proof);
only after the proof may it say that another workspace holds the account. `web` and demo
(simulated) channels prove nothing and are never routed a platform's webhooks; a demo channel
may not take the id of an account a real channel holds."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tanggap.audit import events
from tanggap.cases.cleaning import clean_handle
from tanggap.connectors.access import access_channel_admin, access_channel_admin_by_id
from tanggap.connectors.crypto import CredentialsUnreadable, encrypt_secret
from tanggap.connectors.http import PlatformHTTP, TransportError, given_or_own
from tanggap.connectors.models import ChannelAccount, Platform, PollCursor
from tanggap.connectors.platforms import registry
from tanggap.connectors.platforms.base import NotProven, ProvenAccount
from tanggap.connectors.platforms.capabilities import AccountProver
from tanggap.connectors.platforms.x import tokens as x_tokens
from tanggap.errors import Conflict, InvalidInput

MAX_TOKEN_CHARS = 4000


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


def needs_proof(platform: str, simulated: bool) -> bool:
    return platform != Platform.WEB and not simulated


def prove_control(*, platform: str, handle: str, token: str, account_id: str = "",
                  options: dict | None = None, http: PlatformHTTP | None = None
                  ) -> ProvenAccount:
    """Ask the platform which account `token` controls; InvalidInput (on the token field) when
    it does not confirm `handle` or cannot be asked. Never reads the desk's channels, so the
    answer is the same whether or not the account is connected here."""
    label = Platform(platform).label
    if not token:
        raise InvalidInput(_("Paste the account's access token: %(platform)s must confirm that "
                             "it controls this account before it is connected.")
                           % {"platform": label}, fields=["token"])
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidInput(_("The access token is too long."), fields=["token"])
    prover = registry.capable(platform, AccountProver)
    if prover is None:
        raise InvalidInput(_("%(platform)s accounts cannot be connected.") % {"platform": label})
    try:
        with given_or_own(http) as client:
            return prover.prove(client, handle=handle, token=token, account_id=account_id,
                                options=dict(options or {}))
    except NotProven as exc:
        why = str(exc)
    except TransportError as exc:
        if not exc.permanent:
            raise InvalidInput(_("%(platform)s could not be asked to confirm the token "
                                 "(%(error)s). Nothing was saved; try again.")
                               % {"platform": label, "error": exc.message},
                               fields=["token"]) from None
        why = exc.message  # the platform refused the token itself (invalid, expired)
    raise InvalidInput(_("%(platform)s did not confirm that this token controls the account "
                         "%(handle)s (%(why)s). Nothing was saved.")
                       % {"platform": label, "handle": handle, "why": why}, fields=["token"])


def _claim_account(*, workspace_id: int, platform: str, account_id: str, actor, now: datetime,
                   keep: int | None = None) -> dict:
    """Inside the caller's transaction, after a proof: make `account_id` free for a channel of
    `workspace_id`. A channel of another workspace that holds it with a proof of its own keeps
    it (Conflict, said only now that the caller proved control); one connected before proofs
    existed is released (deactivated, its account id cleared, audited in its workspace): the
    proven owner wins. Returns what the caller's audit event records."""
    holder = (ChannelAccount.objects.select_for_update()
              .filter(platform=platform, account_id=account_id).exclude(pk=keep).first())
    if holder is None:
        return {}
    if holder.workspace_id == workspace_id:
        raise Conflict(_("This account is already connected in this workspace (channel "
                         "%(handle)s).") % {"handle": holder.handle})
    if holder.verified_at is not None:
        raise Conflict(_("This account is already connected to another workspace of this desk, "
                         "whose admins proved control of it too. It can be connected to one "
                         "workspace only: ask them (or the desk's operator) to remove it there "
                         "first."))
    before = {"account_id": holder.account_id, "is_active": holder.is_active}
    holder.account_id = ""
    holder.is_active = False
    holder.save(update_fields=["account_id", "is_active"])
    events.record(workspace_id=holder.workspace_id, actor=actor, action="channel.released",
                  now=now, obj=holder, before=before,
                  after={"account_id": "", "is_active": False,
                         "reason": "another workspace proved control of this account; this "
                                   "channel was connected without a proof"})
    return {"released_unverified_channel": holder.pk}


def _merged_options(options: dict, proven: ProvenAccount) -> dict:
    merged = dict(options or {})
    for key, value in proven.options.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def add_channel(
    *, workspace, platform: str, handle: str, now: datetime, actor=None, name: str = "",
    token: str = "", simulated: bool = False, refresh_token: str = "", expires_in=None,
    client_id: str = "", client_secret: str = "", http: PlatformHTTP | None = None,
) -> ChannelAccount:
    """Connect an account to `workspace`. A platform account (not `web`, not a demo channel)
    needs its access token, and is connected only as the account the platform confirms that
    token controls (prove_control, before any transaction)."""
    if platform not in Platform.values:
        raise InvalidInput(f"platform must be one of {', '.join(Platform.values)}")
    handle = clean_handle(handle or "", field="handle", limit=120)
    name = clean_handle(name, field="name", limit=200) if name and name.strip() else ""
    token = (token or "").strip()
    renewal = _renewal_fields(platform=platform, refresh_token=refresh_token,
                              expires_in=expires_in, client_id=client_id,
                              client_secret=client_secret, now=now)
    if renewal["refresh_encrypted"] and not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    proven = None
    if needs_proof(platform, simulated):
        proven = prove_control(platform=platform, handle=handle, token=token, http=http)
        handle = proven.handle
    try:
        with transaction.atomic():
            claimed = {}
            if proven is not None:
                claimed = _claim_account(workspace_id=workspace.pk, platform=platform,
                                         account_id=proven.account_id, actor=actor, now=now)
            elif simulated and ChannelAccount.objects.filter(
                    platform=platform, account_id=handle).exists():
                raise Conflict(_("A demo channel cannot take the id of an account a real "
                                 "channel holds; choose another handle."))
            channel = ChannelAccount.objects.create(
                workspace=workspace,
                platform=platform,
                handle=handle,
                name=name or (proven.name if proven else "") or handle,
                credentials_encrypted=encrypt_secret(token) if token else "",
                simulated=simulated,
                created_at=now,
                account_id=proven.account_id if proven else "",
                verified_at=now if proven else None,
                options=_merged_options({}, proven) if proven else {},
                **renewal,
            )
            events.record(
                workspace_id=workspace.pk, actor=actor, action="channel.added", now=now,
                obj=channel,
                after={"platform": platform, "handle": handle, "has_credentials": bool(token),
                       "account_id": channel.account_id, "verified": proven is not None,
                       **claimed, **_refresh_audit(channel)},
            )
    except IntegrityError:
        if proven is not None:
            # Lost a race for the same proven account: as if the other had been there first.
            raise Conflict(_("This account is already connected to another workspace of this "
                             "desk.")) from None
        raise Conflict(f"a {platform} channel with handle {handle!r} already exists") from None
    return channel


def connect_channel(*, slug: str, actor, platform: str, handle: str, now: datetime,
                    name: str = "", token: str = "", refresh_token: str = "",
                    expires_in=None, client_id: str = "", client_secret: str = "",
                    http: PlatformHTTP | None = None) -> ChannelAccount:
    """add_channel for a workspace admin (the admin page); others NotFound / Forbidden."""
    membership = access_channel_admin(actor, slug)
    return add_channel(workspace=membership.workspace, platform=platform, handle=handle,
                       now=now, actor=actor, name=name, token=(token or "").strip(),
                       refresh_token=refresh_token, expires_in=expires_in,
                       client_id=client_id, client_secret=client_secret, http=http)


def _locked_channel_for_admin(channel_id: int, actor) -> ChannelAccount:
    channel = access_channel_admin_by_id(actor, channel_id)
    return ChannelAccount.objects.select_for_update().get(pk=channel.pk)


def replace_channel_token(*, channel_id: int, actor, token: str, now: datetime,
                          refresh_token: str = "", expires_in=None, client_id: str = "",
                          client_secret: str = "", http: PlatformHTTP | None = None
                          ) -> ChannelAccount:
    """Store a new access token for a channel (workspace admins only). The token is encrypted
    before it touches the database and appears in no event, log or answer.

    A platform account's new token is saved only once the platform confirms that it controls
    the channel's account (prove_control; this also verifies a channel connected before proofs
    existed). X: with a refresh token the access token is renewed before it expires; without
    one, a stored refresh token is dropped (it belonged to the earlier authorization). Saving
    clears a refused renewal, so renewing starts again."""
    token = (token or "").strip()
    if not token:
        raise InvalidInput(_("Paste the access token."), fields=["token"])
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidInput(_("The access token is too long."), fields=["token"])
    channel = access_channel_admin_by_id(actor, channel_id)
    proven = None
    if needs_proof(channel.platform, channel.simulated):
        proven = prove_control(platform=channel.platform, handle=channel.handle, token=token,
                               account_id=channel.account_id, options=channel.options,
                               http=http)
    with transaction.atomic():
        channel = _locked_channel_for_admin(channel_id, actor)
        had, had_refresh = channel.has_credentials, channel.has_refresh_token
        proof_fields, claimed = [], {}
        if proven is not None:
            if channel.account_id and channel.account_id != proven.account_id:
                # Changed while we asked the platform (another admin): prove again.
                raise Conflict(_("The channel changed meanwhile; save the token again."))
            claimed = _claim_account(workspace_id=channel.workspace_id,
                                     platform=channel.platform, account_id=proven.account_id,
                                     actor=actor, now=now, keep=channel.pk)
            channel.account_id, channel.verified_at = proven.account_id, now
            channel.options = _merged_options(channel.options, proven)
            channel.is_active = True  # a channel released to a proven owner comes back
            proof_fields = ["account_id", "verified_at", "options", "is_active"]
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
        channel.save(update_fields=["credentials_encrypted", *renewal, *proof_fields])
        # A new token may carry the scopes or tier X refused DMs for: ask again at the next poll.
        PollCursor.objects.filter(channel=channel).update(dm_refused_at=None)
        events.record(workspace_id=channel.workspace_id, actor=actor, now=now, obj=channel,
                      action="channel.credentials_replaced",
                      before={"has_credentials": had, **_refresh_audit(channel, had_refresh)},
                      after={"has_credentials": True, "verified": proven is not None,
                             **claimed, **_refresh_audit(channel)})
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
