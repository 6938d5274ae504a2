"""The backup archive: one gzip-compressed tar file with the database, the uploads and a manifest.

    database/tanggap.sqlite3   a consistent copy of the SQLite database, or
    database/tanggap.pgdump    pg_dump's custom format
    uploads/<path>             every file under TANGGAP_UPLOAD_DIR (citizens' photos)
    manifest.json              written last, since it holds the checksums of all the others

Never the keys: the generated SECRET_KEY lives outside the data directory (TANGGAP_KEYS_DIR) so
that a copy of the data alone cannot decrypt the channel tokens in it; they are backed up apart
(docs/deployment.md, "Backups").

Reading is strict, because a restore must never half-write: only the names above, regular
files only, each member once, every checksum and size as the manifest says, and the manifest
present. Anything else is a BackupError that names what was wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

FORMAT = "tanggap-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBERS = {"sqlite": "database/tanggap.sqlite3", "postgresql": "database/tanggap.pgdump"}
UPLOADS = "uploads"
KEYS_NOTE = ("not included: back up TANGGAP_KEYS_DIR (or the SECRET_KEY and "
             "TANGGAP_CREDENTIALS_KEY of your secret store) separately")
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class DatabaseCopy:
    """The database, copied to a file at one instant, with what it held at that instant."""

    vendor: str
    path: Path
    tables: dict[str, int]
    migrations: list[list[str]]


class _HashingReader:
    def __init__(self, handle, digest):
        self.handle = handle
        self.digest = digest

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(path.stat().st_mtime)
    info.mode = 0o600
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        tar.addfile(info, _HashingReader(handle, digest))
    return {"sha256": digest.hexdigest(), "size": info.size}


def upload_files(upload_dir: Path):
    """(path, archive name) of every finished upload: regular files only, no links, and no
    `.part` file still being written."""
    if not upload_dir.is_dir():
        return
    for root, dirs, names in os.walk(upload_dir):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if name.endswith(".part") or path.is_symlink() or not path.is_file():
                continue
            yield path, f"{UPLOADS}/{path.relative_to(upload_dir).as_posix()}"


def write(target: Path, *, database: DatabaseCopy, upload_dir: Path, created_at: datetime,
          version: str) -> dict:
    """Write the archive to `target` whole or not at all (a `.part` file renamed at the end,
    after an fsync); return its manifest."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(partial, "xb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                member = DATABASE_MEMBERS[database.vendor]
                db_entry = _add_file(tar, database.path, member)
                uploads = {name: _add_file(tar, path, name)
                           for path, name in upload_files(upload_dir)}
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "tanggap_version": version,
                    "created_at": created_at.isoformat(),
                    "database": {
                        "vendor": database.vendor, "member": member, **db_entry,
                        "tables": database.tables, "migrations": database.migrations,
                    },
                    "uploads": uploads,
                    "keys": KEYS_NOTE,
                }
                data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(created_at.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return manifest


@dataclass(frozen=True)
class Unpacked:
    manifest: dict
    database: Path
    uploads: Path


def _safe_upload_name(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 2:
        return None
    if path.parts[0] != UPLOADS or any(part in ("", ".") for part in path.parts):
        return None
    return PurePosixPath(*path.parts[1:])


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> dict:
    source = tar.extractfile(member)
    digest = hashlib.sha256()
    size = 0
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(target, "xb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return {"sha256": digest.hexdigest(), "size": size}


def unpack(archive: Path, *, database_dir: Path, uploads_dir: Path) -> Unpacked:
    """Extract the archive into two staging directories and check it against its manifest.

    Nothing outside the staging directories is written; the caller removes them on error.
    """
    found: dict[str, dict] = {}
    manifest_bytes = None
    database_path = None
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = member.name
                if name in found or (name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"{archive} holds {name} twice: not a backup this desk made")
                if not member.isfile():
                    raise BackupError(f"{archive} holds {name}, which is not a regular file")
                if name == MANIFEST:
                    if member.size > _MAX_MANIFEST_BYTES:
                        raise BackupError(f"{archive}: its manifest is implausibly large")
                    manifest_bytes = tar.extractfile(member).read()
                elif name in DATABASE_MEMBERS.values():
                    if database_path is not None:
                        raise BackupError(f"{archive} holds two databases")
                    database_path = database_dir / PurePosixPath(name).name
                    found[name] = _extract(tar, member, database_path)
                elif (relative := _safe_upload_name(name)) is not None:
                    found[name] = _extract(tar, member, uploads_dir.joinpath(*relative.parts))
                else:
                    raise BackupError(f"{archive} holds {name!r}, which a Tanggap backup never "
                                      "holds")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError) and exc.filename == str(archive):
            raise BackupError(f"{archive}: no such file") from None
        raise BackupError(f"{archive} is not a readable Tanggap backup (damaged, truncated or "
                          f"another kind of file): {exc}") from None
    if manifest_bytes is None:
        raise BackupError(f"{archive} has no {MANIFEST}: it is incomplete (a backup cut short?) "
                          "or not a Tanggap backup")
    manifest = _read_manifest(archive, manifest_bytes)
    _check(archive, manifest, found)
    return Unpacked(manifest=manifest, database=database_path, uploads=uploads_dir)


def _read_manifest(archive: Path, data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"{archive}: its {MANIFEST} is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Tanggap backup (its manifest names no "
                          f"{FORMAT!r} format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive} is a backup of format version {manifest.get('format_version')!r}; this "
            f"Tanggap reads version {FORMAT_VERSION}: restore it with the Tanggap version that "
            f"made it ({manifest.get('tanggap_version', 'unknown')})")
    database = manifest.get("database")
    if (not isinstance(database, dict) or database.get("vendor") not in DATABASE_MEMBERS
            or database.get("member") != DATABASE_MEMBERS[database["vendor"]]
            or not isinstance(database.get("tables"), dict)
            or not isinstance(database.get("migrations"), list)
            or not isinstance(manifest.get("uploads"), dict)):
        raise BackupError(f"{archive}: its manifest lacks the database or uploads sections")
    return manifest


def _check(archive: Path, manifest: dict, found: dict[str, dict]) -> None:
    expected = {manifest["database"]["member"]: manifest["database"], **manifest["uploads"]}
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        raise BackupError(f"{archive} does not match its manifest: missing "
                          f"{', '.join(missing[:5]) or 'nothing'}; unlisted "
                          f"{', '.join(extra[:5]) or 'nothing'}")
    for name, entry in expected.items():
        got = found[name]
        if got["size"] != entry.get("size") or got["sha256"] != entry.get("sha256"):
            raise BackupError(f"{archive}: {name} does not match its checksum (the file was "
                              "damaged after the backup was written)")
