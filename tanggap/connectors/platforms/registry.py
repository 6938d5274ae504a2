"""One adapter per platform, the only way the rest of the connectors room reaches a platform
by name.

ConnectorsConfig.ready() registers the adapter classes by dotted path; they are imported and
instantiated on the first lookup (their clients import the HTTP client, which most commands
never need). Adapters are looked up by `Platform` value, or by the `object` of a Meta webhook.
Registering the same kind of adapter again is harmless (ready() may run twice in tests); a
second, different adapter for a platform or a webhook object is a configuration error.
"""

from __future__ import annotations

import threading

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from tanggap.connectors.platforms.capabilities import Adapter, WebhookParser

_adapters: dict[str, Adapter] = {}
_webhook_parsers: dict[str, WebhookParser] = {}
_pending: list[str] = []
_loading = threading.Lock()


def _claim[T](slots: dict[str, T], key: str, adapter: T, what: str) -> None:
    taken = slots.get(key)
    if taken is not None and type(taken) is not type(adapter):
        raise ImproperlyConfigured(f"{what} {key!r} already has an adapter: {taken!r}")
    slots[key] = adapter


def register(adapter: Adapter) -> None:
    if not isinstance(adapter, Adapter):
        raise ImproperlyConfigured(f"{adapter!r} names no platform")
    _claim(_adapters, adapter.platform, adapter, "platform")
    if isinstance(adapter, WebhookParser):
        _claim(_webhook_parsers, adapter.webhook_object, adapter, "webhook object")


def register_class(path: str) -> None:
    """Register the adapter class at `path` (module.Class), instantiated on the first lookup."""
    if path not in _pending:
        _pending.append(path)


def _load() -> None:
    if not _pending:
        return
    with _loading:
        # A path leaves the list only once its adapter is registered, so a thread that finds
        # the list empty never looks up a half-filled registry.
        for path in list(_pending):
            register(import_string(path)())
            _pending.remove(path)


def adapter_for(platform: str) -> Adapter | None:
    _load()
    return _adapters.get(platform)


def capable[C](platform: str, capability: type[C]) -> C | None:
    """The platform's adapter if it has `capability` (a protocol of platforms.capabilities)."""
    adapter = adapter_for(platform)
    return adapter if isinstance(adapter, capability) else None


def webhook_parser(webhook_object) -> WebhookParser | None:
    """The parser of a Meta webhook delivery whose `object` is `webhook_object`."""
    _load()
    return _webhook_parsers.get(webhook_object)
