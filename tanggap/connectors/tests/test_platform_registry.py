"""The platform registry: one adapter per platform, registered at start-up, each with the
capabilities (typed protocols) its platform offers; callers reach platforms only through it."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.models import CommentModeration, Platform
from tanggap.connectors.moderation import apply_moderation
from tanggap.connectors.platforms import meta, registry
from tanggap.connectors.platforms.base import Skipped
from tanggap.connectors.platforms.capabilities import (
    CommentModerator,
    ExpiringTokens,
    Sender,
    WebhookParser,
)
from tanggap.connectors.platforms.facebook.adapter import FacebookAdapter
from tanggap.connectors.testing.fakes import FakeAPI, add_proven_channel

CAPABILITIES = (Sender, ExpiringTokens, CommentModerator, WebhookParser)


@pytest.fixture
def scratch_registry(monkeypatch):
    """The registry, loaded, as a copy a test may add to (the real one is restored after)."""
    registry.adapter_for("facebook")  # imports every registered adapter class
    monkeypatch.setattr(registry, "_adapters", dict(registry._adapters))
    monkeypatch.setattr(registry, "_webhook_parsers", dict(registry._webhook_parsers))


def _capabilities(platform: str) -> set[str]:
    adapter = registry.adapter_for(platform)
    return {c.__name__ for c in CAPABILITIES if isinstance(adapter, c)}


def test_every_platform_has_its_capabilities_and_web_has_no_adapter():
    assert {p: _capabilities(p) for p in Platform.values if registry.adapter_for(p)} == {
        "facebook": {"Sender", "CommentModerator", "WebhookParser"},
        "instagram": {"Sender", "CommentModerator", "WebhookParser"},
        "whatsapp": {"Sender", "WebhookParser"},
        "x": {"Sender", "ExpiringTokens"},
    }
    assert registry.adapter_for("web") is None
    assert registry.capable("whatsapp", CommentModerator) is None
    assert registry.capable("x", Sender) is registry.adapter_for("x")


def test_meta_webhook_objects_route_to_their_platform():
    routes = {kind: registry.webhook_parser(kind).platform
              for kind in ("page", "instagram", "whatsapp_business_account")}
    assert routes == {"page": "facebook", "instagram": "instagram",
                      "whatsapp_business_account": "whatsapp"}
    assert registry.webhook_parser("user") is None
    with pytest.raises(ValueError, match="unknown webhook object 'user'"):
        meta.parse_payload({"object": "user", "entry": []})


def test_meta_parses_through_whatever_adapter_is_registered(scratch_registry):
    class Fake:
        platform = "fake"
        webhook_object = "fake_object"

        def parse_entry(self, entry):
            return [Skipped("fake", str(entry["id"]), "seen")]

    registry.register(Fake())
    assert meta.parse_payload({"object": "fake_object", "entry": [{"id": 7}]}) == [
        Skipped("fake", "7", "seen")]


def test_a_second_adapter_for_a_platform_is_refused(scratch_registry):
    registered = registry.adapter_for("facebook")
    registry.register(FacebookAdapter())  # ready() running twice is harmless

    class Impostor:
        platform = "facebook"

    with pytest.raises(ImproperlyConfigured):
        registry.register(Impostor())
    with pytest.raises(ImproperlyConfigured):
        registry.register(object())
    assert type(registry.adapter_for("facebook")) is type(registered)


def test_adapter_classes_are_imported_on_the_first_lookup(monkeypatch):
    monkeypatch.setattr(registry, "_adapters", {})
    monkeypatch.setattr(registry, "_webhook_parsers", {})
    monkeypatch.setattr(registry, "_pending", [])
    registry.register_class("tanggap.connectors.platforms.facebook.adapter.FacebookAdapter")
    registry.register_class("tanggap.connectors.platforms.facebook.adapter.FacebookAdapter")
    assert registry._adapters == {}
    assert type(registry.capable("facebook", Sender)) is FacebookAdapter
    assert registry._pending == []
    assert registry.webhook_parser("page") is registry.adapter_for("facebook")


def test_starting_django_imports_no_platform_client_and_no_desk_action():
    """Every `tanggap` command starts Django; the ports are filled without the HTTP client or
    the desk's actions (and the language engine they load), as before there were ports."""
    code = ("import django, sys; django.setup(); "
            "print(sorted(m for m in ('httpx', 'tanggap.connectors.http', 'tanggap.cases.actions',"
            " 'tanggap.connectors.platforms.facebook', 'tanggap.language') if m in sys.modules))")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tanggap.test_settings"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out == "[]\n"


def test_hiding_on_a_platform_without_the_capability_fails_visibly_without_a_call(desk):
    """Only comments the desk can hide get a moderation record; one that got there anyway
    (a platform losing the capability) fails with a reason instead of raising in the worker."""
    now = timezone.now()
    channel = add_proven_channel(workspace=desk.bpn, platform="whatsapp", handle="1066", now=now,
                          token="EAAG-wa-token")
    message = ingest_inbound(channel=channel, external_id="wamid.1", author_id="6281",
                             author_name="Warga", text="Halo", now=now).message
    CommentModeration.objects.create(message=message, channel=channel, hidden=True,
                                     requested_by=desk.ani.user, requested_at=now,
                                     updated_at=now)
    api = FakeAPI()
    assert apply_moderation(message_id=message.pk, now=now, http=api.http()) == "failed"
    assert api.requests == []
    record = CommentModeration.objects.get()
    assert record.error == "no_connector: hiding comments on WhatsApp is not available"

