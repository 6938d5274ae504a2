"""`tanggap backup`: a consistent copy made while others write, its manifest, rotation and
refusals. Each backup here is read back through `tanggap restore` into an empty desk of the
suite's database kind (SQLite, or PostgreSQL on the PostgreSQL run)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import threading

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tanggap.backup.archive import DATABASE_MEMBERS, MANIFEST
from tanggap.backup.create import create_backup
from tanggap.backup.tests.desks import empty_desk, members
from tanggap.cases.actions import ingest_inbound
from tanggap.conf.tests.cli import tanggap

pytestmark = pytest.mark.django_db(transaction=True)


def _write(channel, prefix: str, n: int) -> None:
    ingest_inbound(channel=channel, external_id=f"{prefix}-{n}", author_id=f"{prefix}-warga",
                   author_name="Warga", text=f"Pesan {prefix} nomor {n}", now=timezone.now())


class Writer(threading.Thread):
    """Writes messages one transaction each until stopped; `committed` counts those done."""

    def __init__(self, channel, prefix: str):
        super().__init__(daemon=True)
        self.channel, self.prefix = channel, prefix
        self.committed = 0
        self.started = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stop.is_set():
                _write(self.channel, self.prefix, self.committed)
                self.committed += 1
                if self.committed == 5:
                    self.started.set()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.started.set()
        finally:
            connection.close()


@pytest.fixture
def uploads(settings, tmp_path):
    settings.TANGGAP_UPLOAD_DIR = tmp_path / "uploads"
    return settings.TANGGAP_UPLOAD_DIR


def test_a_backup_made_while_others_write_holds_what_was_committed_before_it_and_nothing_torn(
        tx_desk, uploads, tmp_path):
    for n in range(30):
        _write(tx_desk.web, "before", n)
    background = Writer(tx_desk.web, "bg")
    background.start()
    assert background.started.wait(120) and background.error is None

    def write_during_the_copy():
        # Commits after the backup's instant was fixed and before its pages are copied.
        during = threading.Thread(target=lambda: [
            _write(tx_desk.web, "during", n) for n in range(5)] and connection.close())
        during.start()
        during.join()

    committed_before = background.committed
    try:
        written = create_backup(tmp_path / "b.tar.gz", now=timezone.now(),
                                while_open=write_during_the_copy)
    finally:
        background.stop.set()
        background.join()
    assert background.error is None

    with empty_desk(tmp_path) as restored:
        done = tanggap("restore", str(written.path), env=restored.env)
        assert done.returncode == 0, done.stderr
        ids = restored.query("SELECT external_id FROM cases_message")
        by_prefix: dict[str, set[int]] = {}
        for (external_id,) in ids:
            prefix, _, n = external_id.rpartition("-")
            by_prefix.setdefault(prefix, set()).add(int(n))
        assert by_prefix["before"] == set(range(30))
        assert "during" not in by_prefix
        # One instant: the background writer's rows are a gap-free prefix, at least as long as
        # what it had committed when the backup began.
        copied = by_prefix["bg"]
        assert copied == set(range(len(copied))) and len(copied) >= committed_before
        tables = written.manifest["database"]["tables"]
        assert tables["cases_message"] == 30 + len(copied)
        assert restored.query("SELECT count(*) FROM cases_message")[0][0] == 30 + len(copied)
        if restored.database_url.startswith("sqlite"):
            assert restored.query("PRAGMA integrity_check") == [("ok",)]


def test_the_archive_holds_the_database_the_uploads_and_a_manifest_and_never_the_keys(
        tx_desk, uploads, tmp_path):
    (uploads / "portal").mkdir(parents=True)
    photos = {"portal/a.jpg": b"\xff\xd8foto-a", "portal/b.png": b"\x89PNGfoto-b"}
    for name, data in photos.items():
        (uploads / name).write_bytes(data)
    (uploads / "portal" / "c.jpg.part").write_bytes(b"still being written")
    os.symlink("/etc/hostname", uploads / "portal" / "link.jpg")
    tx_desk.inbound()
    (tmp_path / "out").mkdir()

    written = create_backup(tmp_path / "out", now=timezone.now())

    assert written.path.parent == tmp_path / "out"
    assert written.path.name.startswith("tanggap-") and written.path.name.endswith("Z.tar.gz")
    assert stat.S_IMODE(written.path.stat().st_mode) == 0o600
    contents = members(written.path)
    member = DATABASE_MEMBERS[connection.vendor]
    assert sorted(contents) == sorted([member, MANIFEST, "uploads/portal/a.jpg",
                                       "uploads/portal/b.png"])
    manifest = json.loads(contents[MANIFEST])
    assert manifest == written.manifest
    assert manifest["format"] == "tanggap-backup" and manifest["format_version"] == 1
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["sha256"] == hashlib.sha256(contents[member]).hexdigest()
    assert manifest["uploads"] == {
        f"uploads/{name}": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in photos.items()}
    tables = manifest["database"]["tables"]
    assert (tables["workspaces_workspace"], tables["cases_case"], tables["cases_message"]) == (
        2, 1, 1)
    assert ["cases", "0001_initial"] in manifest["database"]["migrations"]
    assert "TANGGAP_KEYS_DIR" in manifest["keys"]
    secret = settings.SECRET_KEY.encode()
    assert not any(secret in data for data in contents.values())
    assert not list(tmp_path.joinpath("out").glob(".*"))  # no staging or partial file left


def test_keep_removes_only_the_oldest_time_stamped_backups(tx_desk, uploads, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in ("tanggap-20260101T010000Z.tar.gz", "tanggap-20260102T010000Z.tar.gz",
                 "tanggap-20260103T010000Z.tar.gz", "tanggap-manual.tar.gz", "notes.txt"):
        (folder / name).write_bytes(b"x")
    out = io.StringIO()
    call_command("backup", str(folder), "--keep", "2", stdout=out)
    names = sorted(p.name for p in folder.iterdir())
    newest = [n for n in names if n.startswith("tanggap-2") and n != "tanggap-20260103T010000Z.tar.gz"
              and n not in ("tanggap-20260101T010000Z.tar.gz", "tanggap-20260102T010000Z.tar.gz")]
    assert len(newest) == 1
    assert names == sorted(["tanggap-20260103T010000Z.tar.gz", newest[0],
                            "tanggap-manual.tar.gz", "notes.txt"])
    text = out.getvalue()
    assert "removed the older backup" in text and "20260101T010000Z" in text
    assert "20260102T010000Z" in text and "keys not included" in text


@pytest.mark.parametrize(("args", "message"), [
    (["{existing}"], "exists; a backup never overwrites a file"),
    (["{uploads}/b.tar.gz"], "is inside the uploads directory"),
    (["{tmp}/new.tar.gz", "--keep", "3"], "--keep needs a directory"),
    (["{tmp}", "--keep", "0"], "--keep must be at least 1"),
    (["{tmp}/missing/b.tar.gz"], "is not a directory"),
])
def test_refusals_write_nothing(tx_desk, uploads, tmp_path, args, message):
    uploads.mkdir()
    existing = tmp_path / "old.tar.gz"
    existing.write_bytes(b"old")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    args = [a.format(existing=existing, uploads=uploads, tmp=tmp_path) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("backup", *args)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert existing.read_bytes() == b"old"


def test_a_desk_that_was_never_migrated_has_nothing_to_back_up(tmp_path):
    with empty_desk(tmp_path) as desk:
        done = tanggap("backup", str(tmp_path / "b.tar.gz"), env=desk.env)
    assert done.returncode == 1
    assert ("no Tanggap tables" in done.stderr or "cannot open the database" in done.stderr), (
        done.stderr)
    assert not (tmp_path / "b.tar.gz").exists()
