"""`tanggap restore`: only into an empty desk, checked against the manifest, whole or not at all;
an older schema is brought up to date, a newer one refused. Run as an operator would (the CLI in
a fresh process), on the suite's database kind."""

from __future__ import annotations

import json
import tarfile

import pytest

from tanggap.backup.archive import DATABASE_MEMBERS, MANIFEST
from tanggap.backup.tests.desks import empty_desk, members, repack
from tanggap.conf.tests.cli import python, tanggap

# A fresh `tanggap` process per step (and the module's source desk migrated from nothing).
pytestmark = pytest.mark.slow

SEED = """
from django.utils import timezone
from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.models import ChannelAccount
channel = ChannelAccount.objects.get(handle="bpn-web")
for n in range(3):
    ingest_inbound(channel=channel, external_id=f"m-{n}", author_id=f"warga-{n}",
                   author_name=f"Warga {n}", text=f"Lampu jalan mati nomor {n}", now=timezone.now())
"""


def _ok(*args, env, stdin=""):
    done = tanggap(*args, env=env, stdin=stdin)
    assert done.returncode == 0, f"tanggap {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A backup of a small desk (a workspace, a web channel, three cases, one photo), and the
    full list of migrations of this code."""
    parent = tmp_path_factory.mktemp("source")
    with empty_desk(parent) as desk:
        _ok("migrate", "-v", "0", env=desk.env)
        _ok("workspace", "create", "bpn", "--name", "Pemkot", env=desk.env)
        _ok("channel", "add", "bpn", "--platform", "web", "--handle", "bpn-web", env=desk.env)
        seeded = python(SEED, env=desk.env)
        assert seeded.returncode == 0, seeded.stderr
        photo = desk.data_dir / "uploads" / "portal" / "foto.jpg"
        photo.parent.mkdir(parents=True)
        photo.write_bytes(b"\xff\xd8 a photo")
        archive = parent / "desk.tar.gz"
        _ok("backup", str(archive), env=desk.env)
        migrations = sorted(desk.query("SELECT app, name FROM django_migrations"))
    return archive, migrations


def _refused(archive, tmp_path, message, *, prepare=None):
    with empty_desk(tmp_path) as desk:
        if prepare is not None:
            prepare(desk)
        before = desk.listing()
        tables_before = _tables(desk)
        done = tanggap("restore", str(archive), env=desk.env)
        assert done.returncode == 1, done.stdout
        assert message in done.stderr, done.stderr
        assert desk.listing() == before
        assert _tables(desk) == tables_before


def _tables(desk) -> list:
    if desk.database_url.startswith("sqlite"):
        if not desk.sqlite_path().exists():
            return []
        return desk.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return desk.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                      "ORDER BY tablename")


def test_a_backup_restores_into_an_empty_desk_with_its_rows_and_photos(source, tmp_path):
    archive, migrations = source
    with empty_desk(tmp_path) as desk:
        out = _ok("restore", str(archive), env=desk.env)
        assert "restored the backup of" in out and "uploads: 1 files" in out
        created = json.loads(tarfile.open(archive).extractfile(MANIFEST).read())["created_at"]
        assert (f"personal data: erasures made after {created} are not in this backup: run "
                "each again from your register of requests") in out
        assert "brought its schema up to date" not in out
        assert sorted(desk.query("SELECT author_name, text FROM cases_message")) == [
            (f"Warga {n}", f"Lampu jalan mati nomor {n}") for n in range(3)]
        assert sorted(desk.query("SELECT app, name FROM django_migrations")) == migrations
        assert (desk.data_dir / "uploads" / "portal" / "foto.jpg").read_bytes() == (
            b"\xff\xd8 a photo")
        assert not [p for p in desk.data_dir.iterdir() if p.name.startswith(".restore")]
        # Restored twice: the second one finds a desk that is no longer empty.
        again = tanggap("restore", str(archive), env=desk.env)
        assert again.returncode == 1
        assert "restore goes only into an empty desk" in again.stderr
        assert f"{desk.database_url.rsplit('/', 1)[-1]} holds" in again.stderr
        assert "holds files" in again.stderr


def test_refuses_a_data_directory_that_holds_anything(source, tmp_path):
    def stray_file(desk):
        desk.data_dir.mkdir(parents=True)
        (desk.data_dir / "notes.txt").write_text("keep me")

    _refused(source[0], tmp_path, "the data directory", prepare=stray_file)


def test_refuses_a_migrated_database(source, tmp_path):
    _refused(source[0], tmp_path, "restore goes only into an empty desk, and this one is not: "
             "the database", prepare=lambda desk: _ok("migrate", "-v", "0", env=desk.env))


def test_refuses_an_uploads_directory_with_files(source, tmp_path):
    def a_photo(desk):
        (desk.data_dir / "uploads").mkdir(parents=True)
        (desk.data_dir / "uploads" / "x.jpg").write_bytes(b"x")

    _refused(source[0], tmp_path, "the uploads directory", prepare=a_photo)


def _flip_a_database_byte(contents):
    name = next(n for n in contents if n.startswith("database/"))
    data = bytearray(contents[name])
    data[len(data) // 2] ^= 0xFF
    contents[name] = bytes(data)


def _manifest(change):
    def edit(contents):
        manifest = json.loads(contents[MANIFEST])
        change(manifest, contents)
        contents[MANIFEST] = json.dumps(manifest).encode()
    return edit


def _drop(name_start):
    def edit(contents):
        for name in [n for n in contents if n.startswith(name_start)]:
            del contents[name]
    return edit


def _other_vendor(manifest, contents):
    database = manifest["database"]
    other = "postgresql" if database["vendor"] == "sqlite" else "sqlite"
    contents[DATABASE_MEMBERS[other]] = contents.pop(database["member"])
    database["vendor"], database["member"] = other, DATABASE_MEMBERS[other]


@pytest.mark.parametrize(("change", "message"), [
    (_flip_a_database_byte, "does not match its checksum"),
    (_drop("uploads/"), "does not match its manifest: missing uploads/portal/foto.jpg"),
    (_drop(MANIFEST), "has no manifest.json"),
    (lambda c: c.update({"../../etc/evil": b"x"}), "which a Tanggap backup never holds"),
    (lambda c: c.update({"uploads/portal/extra.jpg": b"x"}),
     "unlisted uploads/portal/extra.jpg"),
    (_manifest(lambda m, c: m["database"]["migrations"].append(["cases", "9999_future"])),
     "made by a newer Tanggap"),
    (_manifest(lambda m, c: m.update(format_version=99)), "of format version 99"),
    (_manifest(_other_vendor), "restore it into a"),
])
def test_refuses_a_damaged_or_foreign_backup_and_writes_nothing(source, tmp_path, change,
                                                                 message):
    damaged = repack(source[0], tmp_path / "damaged.tar.gz", change)
    _refused(damaged, tmp_path, message)


@pytest.mark.parametrize(("data", "message"), [
    (b"hello, not an archive", "is not a readable Tanggap backup"),
    (None, "is not a readable Tanggap backup"),  # the real archive cut in half
])
def test_refuses_what_is_not_a_whole_archive(source, tmp_path, data, message):
    broken = tmp_path / "broken.tar.gz"
    whole = source[0].read_bytes()
    broken.write_bytes(data if data is not None else whole[: len(whole) // 2])
    _refused(broken, tmp_path, message)


def test_a_backup_of_an_older_schema_is_brought_up_to_date(source, tmp_path):
    _, migrations = source
    with empty_desk(tmp_path / "old") as old:
        _ok("migrate", "-v", "0", env=old.env)
        _ok("migrate", "cases", "0003", "-v", "0", env=old.env)  # as an older release left it
        _ok("backup", str(tmp_path / "old.tar.gz"), env=old.env)
    assert ["cases", "0004_case_triage_reasons"] not in json.loads(
        members(tmp_path / "old.tar.gz")[MANIFEST])["database"]["migrations"]
    with empty_desk(tmp_path / "new") as desk:
        out = _ok("restore", str(tmp_path / "old.tar.gz"), env=desk.env)
        assert "brought its schema up to date" in out and "cases.0004_case_triage_reasons" in out
        assert sorted(desk.query("SELECT app, name FROM django_migrations")) == migrations
