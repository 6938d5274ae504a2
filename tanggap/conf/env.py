"""Typed readers for environment variables.

Every reader fails loudly (ImproperlyConfigured naming the variable) on a value it cannot parse,
because a desk that silently falls back to a default on a typo is worse than one that will not
start. Documented, one by one, in docs/configuration.md.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer; got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_fernet_keys(name: str) -> tuple[str, ...]:
    """A comma-separated list of Fernet keys, the one to encrypt with first (key rotation)."""
    from cryptography.fernet import Fernet

    raw = os.environ.get(name, "")
    keys = tuple(item.strip() for item in raw.split(",") if item.strip())
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            # Never echo the value: it is a secret, even when malformed.
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not a Fernet key (32 bytes in url-safe "
                "base64, 44 characters; `tanggap keys generate` prints one)"
            ) from None
    return keys


SQLITE_SYNCHRONOUS = ("full", "normal")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {raw!r}")
    return value


def map_tiles_origin(template: str, *, name: str = "TANGGAP_MAP_TILES") -> str:
    """The origin (scheme://host[:port]) of a map tile URL template, for the CSP's img-src.
    The template is https (http only for a server on this machine) and names {z}, {x}, {y}."""
    parts = urlsplit(template)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or (
            parts.scheme == "http" and not local):
        raise ImproperlyConfigured(f"{name} must be an https:// URL (http:// only for a tile "
                                   f"server on this machine), not {template!r}")
    missing = [part for part in ("{z}", "{x}", "{y}") if part not in template]
    if missing:
        raise ImproperlyConfigured(f"{name} must name {', '.join(missing)} in its path, like "
                                   "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    return f"{parts.scheme}://{parts.netloc}"


def parse_database_url(url: str, *, base_dir: str, synchronous: str = "full") -> dict:
    """Turn sqlite:///path or postgres://user:pw@host:port/name into a DATABASES entry."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no SQLite file")
        if not os.path.isabs(path) and path != ":memory:":
            path = os.path.join(base_dir, path)
        return sqlite_database(path, synchronous=synchronous)
    if scheme in {"postgres", "postgresql"}:
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no database")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} has a bad port") from None
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.strip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:// or postgres://; got {scheme or 'no scheme'!r}"
    )


def sqlite_database(path: str, *, synchronous: str = "full") -> dict:
    """SQLite in WAL mode. `synchronous` is "full" (default: every commit is on disk before it
    returns, so a power cut loses no transaction that was acknowledged) or "normal" (the WAL is
    synced only at checkpoints: a power cut or OS crash can undo the last seconds of commits,
    never corrupt the file). Why full: docs/configuration.md, "SQLite and power cuts"."""
    if synchronous not in SQLITE_SYNCHRONOUS:
        raise ImproperlyConfigured(
            f"SQLite synchronous must be full or normal, not {synchronous!r}")
    return {
        "ENGINE": "tanggap.conf.sqlite",
        "NAME": path,
        # Keep each server thread's connection: opening one (and its PRAGMAs) per request cost
        # more than the request's own queries.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on busy_timeout
            # instead of deadlocking when both try to upgrade a read lock (SQLITE_BUSY).
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                f"PRAGMA synchronous={synchronous.upper()};"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=30000;"
                # Checkpoints run in a thread of their own, never inside a commit that holds
                # the write lock (tanggap.conf.sqlite.checkpoint).
                "PRAGMA wal_autocheckpoint=0;"
            ),
        },
    }
