"""Permission-checked accessors of tenancy: the only way views, the API and tasks reach a
workspace for a user. Each room that holds tenant rows has its own `access.py` built on
`access_membership` (cases.access, connectors.access), so this room imports none of them.

An object in a workspace the user is not a member of answers NotFound (404), never Forbidden, so
an outsider cannot learn that it exists. A member whose role cannot do it gets Forbidden (403).
An integration account (a machine that may only post inbound messages) is a member that can read
nothing: every accessor but `access_inbound` refuses it. A liaison officer (a responsible body's
account, tanggap.referrals) is an outsider to every accessor here: the referrals room's own
accessors let it reach its body's referrals, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet

from tanggap.conf import compiled, statements
from tanggap.errors import Forbidden, NotFound
from tanggap.workspaces.actions.tokens import LAST_USE_GRANULARITY
from tanggap.workspaces.models import (
    AccessGeneration,
    ApiToken,
    Membership,
    Role,
    Workspace,
    hash_token,
)

# An integration or liaison membership opens no desk.
_NO_DESK = (Role.INTEGRATION, Role.LIAISON)


def memberships_of(user) -> QuerySet[Membership]:
    """The workspaces whose desk the user may open."""
    return Membership.objects.filter(user=user).exclude(role__in=_NO_DESK).select_related(
        "workspace")


def workspace_ids_of(user) -> list[int]:
    """The ids of `memberships_of(user)`, from a statement compiled once
    (tanggap.conf.compiled): it runs on every API list request."""
    if type(getattr(user, "pk", None)) is not int:  # not a saved user: the ORM's own answer
        return list(memberships_of(user).values_list("workspace_id", flat=True))
    return [workspace_id for (workspace_id,) in compiled.rows(
        "workspaces.workspace_ids_of",
        lambda values: Membership.objects.filter(user_id=values["user_id"])
        .exclude(role__in=_NO_DESK).values_list("workspace_id"),
        {"user_id": user.pk})]


def _known(user) -> None:
    """NotFound for anyone but an active, signed-in user: to others every workspace is unknown."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotFound()


def _membership(user, workspace_id: int) -> Membership:
    _known(user)
    membership = (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .select_related("workspace")
        .first()
    )
    return _desk_member(membership)


def _desk_member(membership: Membership | None) -> Membership:
    if membership is None or membership.role == Role.LIAISON:
        # A liaison officer belongs to the workspace only to answer their body's referrals
        # (tanggap.referrals): to the desk they are an outsider.
        raise NotFound()
    return membership


def access_membership(user, workspace_id: int, *, write: bool = False) -> Membership:
    return _may(_membership(user, workspace_id), write=write)


def checked_membership(user, membership: Membership | None, *,
                       write: bool = False) -> Membership:
    """`membership`, the user's of a workspace as another room's own query read it (None: not
    a member), checked as access_membership checks it: NotFound / Forbidden alike."""
    _known(user)
    return _may(_desk_member(membership), write=write)


def _may(membership: Membership, *, write: bool) -> Membership:
    if not membership.can_read or (write and not membership.can_write):
        raise Forbidden()
    return membership


def access_inbound(user, workspace_id: int) -> Membership:
    """A member who may post citizens' messages into this workspace: an admin or an integration
    account. Outsiders NotFound, other members Forbidden."""
    return inbound_member(_membership(user, workspace_id))


def inbound_member(membership: Membership | None) -> Membership:
    """`membership` (already read for an active user) if it may post inbound messages;
    NotFound / Forbidden as access_inbound."""
    membership = _desk_member(membership)
    if not membership.can_post_inbound:
        raise Forbidden()
    return membership


def access_workspace(user, slug: str, *, write: bool = False) -> Membership:
    """The user's membership of the workspace `slug`, its workspace loaded with it (one query,
    on every desk page): an unknown slug and a workspace the user is not a member of are both
    NotFound. The statement is compiled once (tanggap.conf.compiled): the ORM built it on every
    request for more than it cost to run. Nothing is kept between requests: a member removed
    is refused on the next page."""
    _known(user)
    if type(user.pk) is not int or type(slug) is not str:
        membership = (Membership.objects.filter(user=user, workspace__slug=slug)
                      .select_related("workspace").first())
        return _may(_desk_member(membership), write=write)
    found = compiled.rows(
        "workspaces.access_workspace",
        lambda values: Membership.objects.filter(
            user_id=values["user_id"], workspace__slug=values["slug"]).order_by("pk")
        .values_list(*MEMBERSHIP_COLUMNS)[:1],
        {"user_id": user.pk, "slug": slug})
    return _may(_desk_member(membership_from_rows(found)), write=write)


_MEMBERSHIP_FIELDS = tuple(field.attname for field in Membership._meta.concrete_fields)
_WORKSPACE_FIELDS = tuple(field.attname for field in Workspace._meta.concrete_fields)
# What a compiled membership query reads (values_list of a Membership queryset), for
# membership_from_rows: the membership's columns, then its workspace's.
MEMBERSHIP_COLUMNS = (*_MEMBERSHIP_FIELDS, *(f"workspace__{name}" for name in _WORKSPACE_FIELDS))


def membership_from_rows(rows: list[tuple]) -> Membership | None:
    """The membership of the first of `rows` (MEMBERSHIP_COLUMNS each), its workspace loaded as
    select_related("workspace") leaves it (no query to reach it); None without rows."""
    if not rows:
        return None
    row, split = rows[0], len(_MEMBERSHIP_FIELDS)
    membership = Membership.from_db(DEFAULT_DB_ALIAS, _MEMBERSHIP_FIELDS, row[:split])
    Membership._meta.get_field("workspace").set_cached_value(
        membership, Workspace.from_db(DEFAULT_DB_ALIAS, _WORKSPACE_FIELDS, row[split:]))
    return membership


def access_workspace_admin(user, slug: str) -> Membership:
    """The membership of an admin of the workspace `slug`; outsiders NotFound, other members
    Forbidden."""
    membership = access_workspace(user, slug)
    if not membership.is_admin:
        raise Forbidden()
    return membership


def access_member(user, slug: str, username: str) -> tuple[Membership, Membership]:
    """(the admin's membership, the member's membership) for an admin of `slug` acting on one of
    its members. A username that is not a member of this workspace is NotFound, whether or not the
    user exists elsewhere."""
    admin = access_workspace_admin(user, slug)
    member = (Membership.objects.filter(workspace_id=admin.workspace_id, user__username=username)
              .select_related("user", "workspace").first())
    if member is None:
        raise NotFound()
    return admin, member


@cache
def _bearer_sql(vendor: str, channel_table: str) -> str:
    # Hand-written: this runs on every API request and webhook-free integration call, and the
    # ORM's version (select_related + an Exists annotation) cost more to build than to run.
    member = statements.table(Membership)
    sql = (
        f"SELECT t.id, t.user_id, u.username,"
        f" EXISTS(SELECT 1 FROM {member} mi WHERE mi.user_id = t.user_id AND mi.role = %s),"
        f" CASE WHEN t.last_used_at IS NULL OR t.last_used_at <= %s THEN 1 ELSE 0 END")
    if channel_table:
        sql += ", c.id, c.workspace_id, c.platform, m.id, m.role"
    sql += (f" FROM {statements.table(ApiToken)} t"
            f" JOIN {statements.table(get_user_model())} u ON u.id = t.user_id")
    if channel_table:
        sql += (f" LEFT JOIN {channel_table} c ON c.id = %s"
                f" LEFT JOIN {member} m"
                f" ON m.user_id = t.user_id AND m.workspace_id = c.workspace_id")
    return sql + " WHERE t.token_hash = %s AND u.is_active = %s"


def bearer_row(raw: str, *, now: datetime | None, channel_table: str = "",
               channel_pk: int | None = None) -> tuple | None:
    """The one query behind token_bearer; with `channel_table`, the channel `channel_pk` and the
    token user's membership of its workspace come in the same row (connectors.access)."""
    return _bearer_row(hash_token(raw), now=now, channel_table=channel_table,
                       channel_pk=channel_pk)


def _bearer_row(digest: str, *, now, channel_table: str, channel_pk) -> tuple | None:
    stale_before = None if now is None else now - LAST_USE_GRANULARITY
    params = [Role.INTEGRATION, connection.ops.adapt_datetimefield_value(stale_before)]
    if channel_table:
        params.append(channel_pk)
    params += [digest, True]
    return statements.fetchone(_bearer_sql(connection.vendor, channel_table), params)


def token_from_row(row: tuple) -> ApiToken:
    """The token of a bearer_row, its user attached. Only the columns the request needs are
    read; any other is loaded if asked for (Django's deferred fields)."""
    return _token(row, _user_from_row(row), stale=bool(row[4]))


def _user_from_row(row: tuple):
    return get_user_model().from_db(connection.alias, ["id", "username", "is_active"],
                                    [row[1], row[2], True])


def _token(row: tuple, user, *, stale: bool) -> ApiToken:
    token = ApiToken.from_db(connection.alias, ["id", "user_id"], [row[0], row[1]])
    token.user = user
    token.machine = bool(row[3])
    token.stale_use = stale  # last used longer ago than LAST_USE_GRANULARITY, or never
    return token


@dataclass
class _Kept:
    generation: int
    row: tuple
    user: object
    built: object
    # Until when this process knows the token's last use is noted (note_token_use).
    noted_until: datetime


# The inbound's token lookups this process read, by (token hash, channel table, channel id).
_kept: dict[tuple, _Kept] = {}
# Many more than a desk's integrations: a flood of distinct tokens only empties it.
KEEP_AT_MOST = 1024


@cache
def _generation_sql(vendor: str) -> str:
    return f"SELECT n FROM {statements.table(AccessGeneration)} WHERE id = 1"


def access_generation() -> int | None:
    """The access generation (AccessGeneration): it moves with every committed change to what a
    token's access is read from, in any process."""
    row = statements.fetchone(_generation_sql(connection.vendor), ())
    return None if row is None else row[0]


def cached_bearer(raw: str, *, now: datetime, channel_table: str, channel_pk: int | None,
                  build: Callable[[tuple, object], tuple[object, bool]]):
    """(token, built) as bearer_row and token_from_row give them, or (None, None): the inbound's
    token lookup, kept per process while the access generation stays where it was when the
    lookup was read. `build(row, user)` makes what the caller needs of the row once, and says
    whether it may be kept (a refusal is not: it is read again).

    Why: the lookup and the instances made from it were 10-13 % of an inbound's CPU (py-spy);
    reading the generation is one primary-key SELECT. The generation is read first and the
    lookup after it, so a change committed before the generation was read is always seen: a
    revoked token, a removed or demoted membership, a deactivated user or a removed channel is
    refused on the next request, in every process (the triggers of workspaces 0005 and
    connectors 0011 move it, whoever writes)."""
    generation = access_generation()
    digest = hash_token(raw)
    key = (digest, channel_table, channel_pk)
    kept = _kept.get(key)
    if kept is None or kept.generation != generation:
        row = _bearer_row(digest, now=now, channel_table=channel_table, channel_pk=channel_pk)
        if row is None:
            return None, None
        user = _user_from_row(row)
        built, keep = build(row, user)
        # The row says whether the last use is stale, as token_bearer's does. When it is not,
        # it was noted within the minute, but when is not read: a later request of this
        # process notes it again (a conditional UPDATE that may change nothing).
        kept = _Kept(generation, row, user, built, now)
        stale = bool(row[4])
        if keep and generation is not None:
            if len(_kept) >= KEEP_AT_MOST:
                _kept.clear()
            _kept[key] = kept
    else:
        stale = now >= kept.noted_until
    if stale:
        # This request notes it (note_token_use, whose UPDATE writes only a stale use): the
        # others of the next minute need not.
        kept.noted_until = now + LAST_USE_GRANULARITY
    return _token(kept.row, kept.user, stale=stale), kept.built


def token_bearer(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token whose hash matches `raw`, with its active user and `machine` (an integration
    account) read in the same query: one indexed lookup per API request, nothing cached, so a
    revoked token or a deactivated user is refused at once in every process. With `now`, the
    token also knows whether its last use is old enough to note again (`stale_use`)."""
    row = bearer_row(raw, now=now)
    return token_from_row(row) if row is not None else None
