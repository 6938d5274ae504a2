"""Writes to workspaces, memberships and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from tanggap.audit import events
from tanggap.errors import Conflict, InvalidInput
from tanggap.workspaces.models import ApiToken, Membership, Role, Workspace, hash_token


def create_workspace(*, slug: str, name: str, now: datetime, actor=None) -> Workspace:
    if not slug or slugify(slug) != slug:
        raise InvalidInput(f"slug {slug!r} must be lower-case letters, digits and hyphens")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name must not be empty")
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(slug=slug, name=name, created_at=now)
            events.record(
                workspace_id=workspace.pk, actor=actor, action="workspace.created", now=now,
                obj=workspace, after={"slug": slug, "name": name},
            )
    except IntegrityError:
        raise Conflict(f"workspace {slug!r} already exists") from None
    return workspace


def add_member(
    *, workspace: Workspace, username: str, role: str, password: str, now: datetime,
    actor=None, full_name: str = "",
):
    """Create the user if new (with `password`), and make them a member with `role`."""
    if role not in Role.values:
        raise InvalidInput(f"role must be one of {', '.join(Role.values)}")
    User = get_user_model()
    username = (username or "").strip()
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise InvalidInput(f"username {username!r}: {' '.join(exc.messages)}") from None
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            if not password:
                raise InvalidInput("a new user needs a password")
            try:
                validate_password(password)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages)) from None
            first, _, last = full_name.partition(" ")
            user = User.objects.create_user(
                username=username, password=password, first_name=first, last_name=last
            )
        elif password:
            raise InvalidInput(f"user {username!r} exists; their password is not changed here")
        membership, created = Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={"role": role, "created_at": now}
        )
        if not created and membership.role != role:
            before = {"role": membership.role}
            membership.role = role
            membership.save(update_fields=["role"])
            events.record(
                workspace_id=workspace.pk, actor=actor, action="member.role_changed", now=now,
                obj=membership, before=before, after={"username": username, "role": role},
            )
        elif created:
            events.record(
                workspace_id=workspace.pk, actor=actor, action="member.added", now=now,
                obj=membership, after={"username": username, "role": role},
            )
    return membership


def create_token(*, user, now: datetime) -> str:
    """Return a new raw token; only its hash is stored."""
    raw = "tg_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, token_hash=hash_token(raw), prefix=raw[:10], created_at=now
    )
    return raw
