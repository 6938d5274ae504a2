"""The data directory and the keys: owner-only files, the generated key outside the data (a backup
of the data alone opens no channel token), old installs moved over, bad keys refused at start."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tanggap.conf import files
from tanggap.conf.env import env_fernet_keys
from tanggap.conf.tests.cli import clean_env, python, tanggap

TOKEN = "EAAG-rahasia-halaman-kota"
READ_TOKEN = """
from tanggap.connectors.crypto import CredentialsUnreadable, decrypt_secret
from tanggap.connectors.models import ChannelAccount
try:
    print(decrypt_secret(ChannelAccount.objects.get().credentials_encrypted))
except CredentialsUnreadable:
    print("unreadable")
"""


LEGACY_KEY = "kunci-dari-versi-sebelumnya-" + "x" * 30


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def sealed_desk(tmp_path_factory) -> Path:
    """A data directory whose channel token is sealed under a key derived from LEGACY_KEY, made
    once (migrating takes a while); each test works on its own copy."""
    data = tmp_path_factory.mktemp("sealed") / "var"
    env = clean_env(TANGGAP_DATA_DIR=str(data), SECRET_KEY=LEGACY_KEY)
    for args, stdin in ((("migrate", "-v", "0"), ""),
                        (("workspace", "create", "bpn", "--name", "Pemkot"), ""),
                        # A demo channel: its token is sealed like any other, and no
                        # platform is asked to confirm it (there is no network here).
                        (("channel", "add", "bpn", "--platform", "facebook", "--handle", "1001",
                          "--simulated", "--token-stdin"), TOKEN + "\n")):
        done = tanggap(*args, env=env, stdin=stdin)
        assert done.returncode == 0, done.stderr
    return data


def _copy(sealed_desk: Path, to: Path, *, with_keys: bool) -> Path:
    data = to / "var"
    shutil.copytree(sealed_desk, data)
    if with_keys:
        keys = to / "var-keys"
        keys.mkdir(mode=0o700)
        (keys / "secret_key").write_text(LEGACY_KEY)
    return data


def _read_token(data: Path) -> tuple[str, str]:
    done = python(READ_TOKEN, env=clean_env(TANGGAP_DATA_DIR=str(data)))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), done.stderr


def test_a_fresh_desk_keeps_its_files_owner_only_and_its_key_outside_the_data(tmp_path):
    data = tmp_path / "var"
    # While a process writes, SQLite's -wal and -shm exist; they take the database's mode.
    done = python("""
import stat
from pathlib import Path
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x)")
    cursor.execute("INSERT INTO probe VALUES (1)")
    uploads = Path(settings.TANGGAP_UPLOAD_DIR) / "portal"
    uploads.mkdir(parents=True)
    (uploads / "photo.jpg").write_bytes(b"jpeg")
    for path in [settings.DATA_DIR, settings.DATABASES["default"]["NAME"],
                 settings.DATABASES["default"]["NAME"] + "-wal",
                 settings.DATABASES["default"]["NAME"] + "-shm",
                 settings.TANGGAP_UPLOAD_DIR, uploads, uploads / "photo.jpg"]:
        print(oct(stat.S_IMODE(Path(path).stat().st_mode)))
""", env=clean_env(TANGGAP_DATA_DIR=str(data)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0o700", "0o600", "0o600", "0o600", "0o700", "0o700", "0o600"]
    keys = tmp_path / "var-keys"
    assert sorted(p.name for p in keys.iterdir()) == ["secret_key"]
    assert (_mode(keys), _mode(keys / "secret_key")) == (0o700, 0o600)
    assert len((keys / "secret_key").read_text()) >= 50
    assert "secret_key" not in {p.name for p in data.iterdir()}


def test_a_backup_of_the_data_directory_alone_cannot_decrypt_channel_tokens(sealed_desk,
                                                                          tmp_path):
    desk = _copy(sealed_desk, tmp_path / "desk", with_keys=True)
    assert _read_token(desk)[0] == TOKEN

    restored = tmp_path / "elsewhere" / "var"
    shutil.copytree(desk, restored)
    assert not any(LEGACY_KEY.encode() in p.read_bytes()
                   for p in restored.rglob("*") if p.is_file())
    assert _read_token(restored)[0] == "unreadable"
    # With the keys restored beside it, the copy is whole again.
    shutil.rmtree(tmp_path / "elsewhere" / "var-keys")  # the key the copy made for itself
    shutil.copytree(tmp_path / "desk" / "var-keys", tmp_path / "elsewhere" / "var-keys")
    assert _read_token(restored)[0] == TOKEN


def test_an_old_install_keeps_working_and_its_key_moves_out_of_the_data(sealed_desk, tmp_path):
    data = _copy(sealed_desk, tmp_path, with_keys=False)
    (data / "secret_key").write_text(LEGACY_KEY)
    (data / "secret_key").chmod(0o644)

    token, notices = _read_token(data)

    assert token == TOKEN
    moved = tmp_path / "var-keys" / "secret_key"
    assert f"moved the secret key from {data / 'secret_key'} to {moved}" in notices
    assert not (data / "secret_key").exists()
    assert moved.read_text() == LEGACY_KEY and _mode(moved) == 0o600
    assert _read_token(data) == (TOKEN, "")


def test_data_open_to_other_users_is_tightened_at_start(sealed_desk, tmp_path):
    data = _copy(sealed_desk, tmp_path, with_keys=True)
    database = data / "tanggap.sqlite3"
    (data / "uploads").mkdir()
    for path, mode in ((data, 0o755), (database, 0o644), (data / "uploads", 0o777),
                       (tmp_path / "var-keys" / "secret_key", 0o604)):
        path.chmod(mode)

    token, notices = _read_token(data)

    assert token == TOKEN
    assert (_mode(data), _mode(database), _mode(data / "uploads")) == (0o750, 0o640, 0o770)
    assert _mode(tmp_path / "var-keys" / "secret_key") == 0o600
    assert f"tanggap: {database} was open to every user of this machine (mode 0644); now 0640" \
        in notices.splitlines()


def test_data_open_to_others_that_cannot_be_tightened_refuses_the_start(tmp_path, monkeypatch):
    exposed = tmp_path / "var"
    exposed.mkdir(mode=0o755)
    exposed.chmod(0o755)

    def refuse(self, mode):
        raise PermissionError("not the owner")

    monkeypatch.setattr(Path, "chmod", refuse)
    with pytest.raises(ImproperlyConfigured) as refused:
        files.secure_paths([exposed, tmp_path / "absent"])
    assert str(refused.value).endswith(f"cannot change it; run: chmod o-rwx {exposed}")
    assert "(mode 0755)" in str(refused.value)


def test_a_keys_directory_inside_the_data_is_refused(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="is inside TANGGAP_DATA_DIR"):
        files.read_or_create_secret_key(keys_dir=tmp_path / "var" / "keys",
                                        data_dir=tmp_path / "var")
    assert not (tmp_path / "var").exists()


def test_a_malformed_credentials_key_stops_the_start_without_echoing_it(tmp_path):
    from cryptography.fernet import Fernet

    good = Fernet.generate_key().decode()
    bad = "bukan-kunci-fernet-rahasia"
    env = clean_env(TANGGAP_DATA_DIR=str(tmp_path / "var"),
                    TANGGAP_CREDENTIALS_KEY=f"{good}, {bad}")

    done = tanggap("check", env=env)

    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("django.core.exceptions.ImproperlyConfigured: TANGGAP_CREDENTIALS_KEY: key 2 "
                    "of 2 is not a Fernet key (32 bytes in url-safe base64, 44 characters; "
                    "`tanggap keys generate` prints one)")
    assert bad not in done.stderr and good not in done.stderr


def test_credentials_keys_are_read_newest_first(monkeypatch):
    from cryptography.fernet import Fernet

    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("TANGGAP_CREDENTIALS_KEY", f" {new} ,{old},")
    assert env_fernet_keys("TANGGAP_CREDENTIALS_KEY") == (new, old)
    monkeypatch.setenv("TANGGAP_CREDENTIALS_KEY", "")
    assert env_fernet_keys("TANGGAP_CREDENTIALS_KEY") == ()
    monkeypatch.setenv("TANGGAP_CREDENTIALS_KEY", new[:-2])
    with pytest.raises(ImproperlyConfigured, match="key 1 of 1 is not a Fernet key"):
        env_fernet_keys("TANGGAP_CREDENTIALS_KEY")
