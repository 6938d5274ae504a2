"""What a platform adapter can do, as typed protocols.

Each platform sub-package has an `adapter.py` whose adapter object implements the protocols of
what that platform offers; the registry (platforms.registry) holds one adapter per platform.
Callers never import a platform: they ask the registry for the adapter of a channel's platform
that has the capability they need (`registry.capable(platform, CommentModerator)`), which is an
`isinstance` check against these runtime-checkable protocols.

| capability        | used by                | today                             |
| `Sender`          | connectors.delivery    | facebook, instagram, whatsapp, x  |
| `ExpiringTokens`  | connectors.delivery    | x                                 |
| `CommentModerator`| connectors.moderation  | facebook, instagram               |
| `WebhookParser`   | platforms.meta         | facebook, instagram, whatsapp     |
| `AccountProver`   | actions.channels       | facebook, instagram, whatsapp, x  |

Every method is pure or talks to the platform through the `PlatformHTTP` it is given; none
reads the clock (`now` and `not_before` are passed in) or writes a desk row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:  # the registry imports this module at start-up: no HTTP client then
    from collections.abc import Callable
    from datetime import datetime

    from tanggap.connectors.http import PlatformHTTP
    from tanggap.connectors.platforms.base import Event, ProvenAccount, SendContext, SendPlan


@runtime_checkable
class Adapter(Protocol):
    """Every adapter: the `Platform` value it serves (ChannelAccount.platform)."""

    platform: str


@runtime_checkable
class Sender(Protocol):
    """Answers a case on the platform (connectors.delivery: plan, post, reconcile)."""

    def plan(self, ctx: SendContext) -> SendPlan:
        """What to call for this reply. Raises TransportError(permanent) when the platform would
        refuse it (e.g. `base.permanent("window_closed", ...)`)."""
        ...

    def sent_id(self, operation: str, data: dict) -> str:
        """The platform id of what we posted, from the platform's answer."""
        ...

    def find_existing(self, http: PlatformHTTP, *, channel, token: str, operation: str,
                      target_id: str, text: str,
                      not_before: datetime | None = None) -> str | None:
        """Our earlier post for this outbound record, if the platform lets us look. None: not
        found, or no way to look and a second post is harmless; raise `base.unverifiable` when
        it is not. `not_before` is our first attempt's time."""
        ...

    def can_look(self, operation: str) -> bool:
        """Whether find_existing really looks for this operation's posts (a None from it then
        means "not there"). False where it answers None blindly (WhatsApp lists no sent
        messages): after the last attempt such a send is `unknown`, never `failed`."""
        ...


class TokenSource(Protocol):
    def call[T](self, fn: Callable[[str], T]) -> T:
        """fn(token), with a token renewed before it expires (and once after a 401)."""
        ...


@runtime_checkable
class ExpiringTokens(Protocol):
    """A platform whose access tokens expire: delivery asks for the token per call."""

    def auth(self, http: PlatformHTTP, *, channel, now: datetime) -> TokenSource: ...


@runtime_checkable
class CommentModerator(Protocol):
    """Hides (or shows again) a citizen's public comment (connectors.moderation)."""

    def hide_comment(self, http: PlatformHTTP, *, channel, token: str, comment_id: str,
                     hidden: bool) -> None:
        """Raises TransportError; hiding what is hidden must be harmless (retries)."""
        ...


@runtime_checkable
class WebhookParser(Protocol):
    """Turns the entries of a Meta webhook delivery whose `object` is `webhook_object` into
    events (platforms.meta.parse_payload). Pure: no database, no clock, no HTTP."""

    platform: str
    webhook_object: str

    def parse_entry(self, entry: dict) -> list[Event]: ...


@runtime_checkable
class AccountProver(Protocol):
    """Asks the platform which account a pasted token controls, before a channel is connected
    or its token replaced (actions.channels): no account is stored without that proof."""

    def prove(self, http: PlatformHTTP, *, handle: str, token: str, account_id: str = "",
              options: dict | None = None) -> ProvenAccount:
        """The account, if the platform confirms that `token` controls the one named `handle`
        (and, when given, the stored `account_id`); else raise base.NotProven. A platform that
        cannot be asked (timeout, 5xx) raises TransportError. `options`: the channel's, e.g.
        the Instagram login kind to try first."""
        ...
