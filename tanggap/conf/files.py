"""The desk's files on disk: the data directory (database, uploads, collected static files) and
the keys directory (the generated SECRET_KEY), kept owner-only and checked at every start.

Every Tanggap process runs with umask 077 (set in settings), so whatever it creates (the SQLite
file and its -wal/-shm, uploaded photos, exports, the key) is 0600 and every directory 0700.
`secure_paths` looks at the directories and files that hold citizens' data or keys when a process
starts: anything other users of the machine may read, write or enter is tightened (when this
process owns it) with a warning, or refused with the chmod that fixes it. Group permissions are the
operator's choice (a backup agent's group) and are left alone.

This module runs while settings load: no Django imports beyond the exception, no logging (not
configured yet), messages go to stderr.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

OWNER_ONLY_UMASK = 0o077
# Printed once per process tree: `tanggap serve` starts workers that load settings again.
_NOTICE_MARK = "TANGGAP_FILE_NOTICES_SHOWN"


def notice(text: str) -> None:
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    shown = os.environ.get(_NOTICE_MARK, "").split(",")
    if digest in shown:
        return
    os.environ[_NOTICE_MARK] = ",".join([*filter(None, shown), digest])
    sys.stderr.write(f"tanggap: {text}\n")


def private_dir(path: Path, *, name: str) -> Path:
    """Create `path` (and missing parents) owner-only, or check an existing one."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot create {name} {path}: {exc.strerror}") from None
    return path


def secure_paths(paths: Iterable[Path]) -> list[str]:
    """Tighten or refuse paths that other users of the machine can reach; return what was done.

    Raises ImproperlyConfigured for a path open to others that this process cannot change.
    """
    changed = []
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            info = path.stat()
        others = stat.S_IMODE(info.st_mode) & 0o007
        if not others:
            continue
        was = stat.S_IMODE(info.st_mode)
        try:
            path.chmod(was & ~0o007)
        except OSError:
            raise ImproperlyConfigured(
                f"{path} is open to every user of this machine (mode {was:04o}) and this process "
                f"(uid {os.getuid()}) cannot change it; run: chmod o-rwx {path}"
            ) from None
        changed.append(f"{path} was open to every user of this machine (mode {was:04o}); "
                       f"now {was & ~0o007:04o}")
    return changed


def sqlite_files(database: str) -> list[Path]:
    if not database or database == ":memory:" or database.startswith("file:"):
        return []
    return [Path(database + suffix) for suffix in ("", "-wal", "-shm", "-journal", ".writelock")]


def is_inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def read_or_create_secret_key(*, keys_dir: Path, data_dir: Path) -> str:
    """The generated SECRET_KEY, kept in `keys_dir` (outside the data directory, so a copy of the
    data alone cannot decrypt the channel tokens sealed with a key derived from it).

    A key left in the data directory by an older version is moved here, with a notice.
    """
    if is_inside(keys_dir, data_dir):
        raise ImproperlyConfigured(
            f"TANGGAP_KEYS_DIR ({keys_dir}) is inside TANGGAP_DATA_DIR ({data_dir}): backups of "
            "the data would carry the key that decrypts them. Choose a directory outside it."
        )
    path = keys_dir / "secret_key"
    legacy = data_dir / "secret_key"
    key = _read_key(path)
    if key is None:
        moving = _read_key(legacy)
        private_dir(keys_dir, name="the keys directory (TANGGAP_KEYS_DIR; or set SECRET_KEY)")
        key = _create_exclusive(path, moving or secrets.token_urlsafe(50))
        if moving is not None:
            if key == moving:
                legacy.unlink(missing_ok=True)
            notice(
                f"moved the secret key from {legacy} to {path}, out of the data directory. "
                "Copies of the data directory made before now contain it: if one may have leaked, "
                "rotate the keys (docs/security.md, 'Rotating keys')."
            )
    elif legacy.exists():
        notice(f"{legacy} is an old secret key that is no longer used; delete it "
               f"(the key in use is {path}).")
    return key


def _read_key(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot read the secret key {path}: {exc.strerror}") from None
    if len(key) < 32:
        raise ImproperlyConfigured(f"the secret key in {path} is shorter than 32 characters")
    return key


def _create_exclusive(path: Path, key: str) -> str:
    """Write a new key file whole, then link it into place: when several processes of one start
    race, one wins and the others read its complete file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            key = _read_key(path) or key
    except OSError as exc:
        raise ImproperlyConfigured(
            f"cannot write the secret key {path}: {exc.strerror}. Set SECRET_KEY, or "
            "TANGGAP_KEYS_DIR to a directory this user may write."
        ) from None
    finally:
        partial.unlink(missing_ok=True)
    return key
