"""Credentials keys: several keys (newest first) decrypt, the first encrypts, and `tanggap keys
rotate` seals every stored secret under the first key, batch by batch, audited, idempotent."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.connectors.crypto import (
    SEALED_FIELDS,
    CredentialsUnreadable,
    decrypt_secret,
    derived_key,
    encrypt_secret,
)
from tanggap.connectors.models import ChannelAccount

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _channel(desk, handle: str, token: str, refresh: str = "") -> ChannelAccount:
    return ChannelAccount.objects.create(
        workspace=desk.bpn, platform="facebook", handle=handle, created_at=timezone.now(),
        credentials_encrypted=encrypt_secret(token) if token else "",
        refresh_encrypted=encrypt_secret(refresh) if refresh else "")


def _opens_with(key: str, token: str) -> str:
    return Fernet(key.encode()).decrypt(token.encode()).decode()


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_generate_prints_a_new_fernet_key_each_time():
    first, second = _run("generate")[0].strip(), _run("generate")[0].strip()
    assert first != second
    Fernet(first.encode())  # a valid key
    assert len(first) == 44


def test_the_first_key_encrypts_and_every_listed_key_decrypts(settings):
    settings.TANGGAP_CREDENTIALS_KEYS = (OLD,)
    sealed_old = encrypt_secret("token-lama")
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW, OLD)
    sealed_new = encrypt_secret("token-baru")
    assert _opens_with(NEW, sealed_new) == "token-baru"
    with pytest.raises(InvalidToken):
        _opens_with(OLD, sealed_new)
    assert decrypt_secret(sealed_old) == "token-lama"
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW,)
    with pytest.raises(CredentialsUnreadable):
        decrypt_secret(sealed_old)


def test_an_old_secret_key_in_the_fallbacks_still_opens_what_it_sealed(settings):
    sealed = encrypt_secret("token")  # derived from the test SECRET_KEY
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-0123456789"
    with pytest.raises(CredentialsUnreadable):
        decrypt_secret(sealed)
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert decrypt_secret(sealed) == "token"


@pytest.mark.django_db
def test_rotate_reseals_every_secret_under_the_first_key_audited_and_idempotent(desk, settings):
    settings.TANGGAP_CREDENTIALS_KEYS = (OLD,)
    a = _channel(desk, "page-a", "token-a", refresh="refresh-a")
    b = _channel(desk, "page-b", "token-b")
    settings.TANGGAP_CREDENTIALS_KEYS = ()  # this one was sealed under the derived key
    c = _channel(desk, "page-c", "token-c")
    empty = _channel(desk, "page-d", "")
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW, OLD)
    audit_before = AuditEvent.objects.count()

    out, _ = _run("rotate", "--batch-size", "2")

    assert out.strip() == "resealed 3 rows under the first key; 0 rows already were"
    for channel, token in ((a, "token-a"), (b, "token-b"), (c, "token-c")):
        channel.refresh_from_db()
        assert _opens_with(NEW, channel.credentials_encrypted) == token
    assert _opens_with(NEW, a.refresh_encrypted) == "refresh-a"
    empty.refresh_from_db()
    assert (empty.credentials_encrypted, empty.refresh_encrypted) == ("", "")
    events = AuditEvent.objects.filter(pk__gt=0).order_by("id")[audit_before:]
    assert [(e.action, e.object_id, e.after, e.workspace_id, e.actor_id) for e in events] == [
        ("channel.credentials_resealed", str(a.pk),
         {"fields": ["credentials_encrypted", "refresh_encrypted"]}, desk.bpn.pk, None),
        ("channel.credentials_resealed", str(b.pk), {"fields": ["credentials_encrypted"]},
         desk.bpn.pk, None),
        ("channel.credentials_resealed", str(c.pk), {"fields": ["credentials_encrypted"]},
         desk.bpn.pk, None),
    ]

    # Again: nothing to do, nothing written, nothing audited.
    sealed_now = list(ChannelAccount.objects.order_by("pk").values_list(
        "credentials_encrypted", "refresh_encrypted"))
    out, _ = _run("rotate")
    assert out.strip() == "resealed 0 rows under the first key; 3 rows already were"
    assert list(ChannelAccount.objects.order_by("pk").values_list(
        "credentials_encrypted", "refresh_encrypted")) == sealed_now
    assert AuditEvent.objects.count() == audit_before + 3

    # The old keys can go: the new one alone opens everything, even with another SECRET_KEY.
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW,)
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-0123456789"
    assert [decrypt_secret(t) for t in ChannelAccount.objects.order_by("pk").exclude(
        credentials_encrypted="").values_list("credentials_encrypted", flat=True)] == [
        "token-a", "token-b", "token-c"]


@pytest.mark.django_db
def test_status_counts_secrets_per_key(desk, settings):
    settings.TANGGAP_CREDENTIALS_KEYS = (OLD,)
    _channel(desk, "page-a", "token-a", refresh="refresh-a")
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW, OLD)
    _channel(desk, "page-b", "token-b")

    out, _ = _run("status")

    assert out.splitlines() == [
        "3 keys can decrypt; the first encrypts",
        "secrets under the first key (current): 1",
        "secrets under TANGGAP_CREDENTIALS_KEY key 2 (old): 2",
    ]


@pytest.mark.django_db
def test_a_secret_no_key_opens_is_reported_and_left_while_the_rest_is_resealed(desk, settings):
    settings.TANGGAP_CREDENTIALS_KEYS = (Fernet.generate_key().decode(),)
    lost = _channel(desk, "page-lost", "token-lost")
    settings.TANGGAP_CREDENTIALS_KEYS = (OLD,)
    kept = _channel(desk, "page-kept", "token-kept")
    settings.TANGGAP_CREDENTIALS_KEYS = (NEW, OLD)
    lost_before = lost.credentials_encrypted

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 stored secrets open with no configured key"):
        call_command("keys", "rotate", stdout=out, stderr=err)

    assert err.getvalue().strip() == (
        f"unreadable: connectors.ChannelAccount {lost.pk} credentials_encrypted")
    lost.refresh_from_db()
    kept.refresh_from_db()
    assert lost.credentials_encrypted == lost_before
    assert _opens_with(NEW, kept.credentials_encrypted) == "token-kept"
    assert list(AuditEvent.objects.filter(action="channel.credentials_resealed")
                .values_list("object_id", flat=True)) == [str(kept.pk)]
    assert _run("status")[0].splitlines()[1:] == [
        "secrets under the first key (current): 1",
        "secrets unreadable with every configured key: 1",
    ]


def test_rotate_refuses_a_silly_batch_size():
    with pytest.raises(CommandError, match="--batch-size must be between 1 and 10000"):
        _run("rotate", "--batch-size", "0")


def test_every_sealed_column_is_known_to_rotation():
    """A model that gains a `*_encrypted` column must be listed in SEALED_FIELDS, or `keys
    rotate` would leave it under the old key."""
    listed = {(s.model, f) for s in SEALED_FIELDS for f in s.fields}
    found = {
        (model._meta.label, f.name)
        for model in apps.get_models() for f in model._meta.get_fields()
        if isinstance(f, models.Field) and f.name.endswith("_encrypted")
    }
    assert found == listed
    for sealed in SEALED_FIELDS:
        assert hasattr(apps.get_model(sealed.model), "workspace_id")


def test_the_derived_key_is_not_the_secret_key_itself():
    key = derived_key("x" * 50)
    Fernet(key)
    assert key != derived_key("y" * 50)
