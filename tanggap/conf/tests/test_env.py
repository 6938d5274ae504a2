import pytest
from django.core.exceptions import ImproperlyConfigured

from tanggap.conf.env import env_bool, env_int, env_list, parse_database_url


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("ON", True),
                                            ("0", False), ("no", False), ("", False)])
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, value):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG", not value) is value


def test_env_bool_refuses_anything_else(monkeypatch):
    monkeypatch.setenv("DEBUG", "yes please")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        env_bool("DEBUG", False)


def test_env_int(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="N must be at least 1"):
        env_int("N", 5, minimum=1)


def test_env_list(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " desk.balikpapan.go.id, ,127.0.0.1")
    assert env_list("ALLOWED_HOSTS", []) == ["desk.balikpapan.go.id", "127.0.0.1"]


def test_sqlite_url_is_wal_with_immediate_transactions():
    db = parse_database_url("sqlite:////var/lib/tanggap/db.sqlite3", base_dir="/srv")
    assert db["ENGINE"] == "tanggap.conf.sqlite"
    assert db["NAME"] == "/var/lib/tanggap/db.sqlite3"
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "PRAGMA journal_mode=WAL;" in db["OPTIONS"]["init_command"]
    assert parse_database_url("sqlite:///var/db.sqlite3", base_dir="/srv")["NAME"] == (
        "/srv/var/db.sqlite3")


def test_postgres_url():
    db = parse_database_url("postgres://desk:s%40cret@db.internal:5433/tanggap?sslmode=require",
                            base_dir="/srv")
    assert {k: db[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")} == {
        "ENGINE": "django.db.backends.postgresql", "NAME": "tanggap", "USER": "desk",
        "PASSWORD": "s@cret", "HOST": "db.internal", "PORT": "5433"}
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(("url", "message"), [
    ("mysql://x/y", "must start with sqlite:// or postgres://"),
    ("postgres://host:5432/", "names no database"),
    ("postgres://host:notaport/db", "bad port"),
    ("sqlite://", "names no SQLite file"),
])
def test_bad_database_urls_fail_loudly(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_database_url(url, base_dir="/srv")


def test_settings_refuse_bad_values_at_start(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TANGGAP_DATA_DIR": str(tmp_path), "DEBUG": "maybe",
           "DJANGO_SETTINGS_MODULE": "tanggap.settings"}
    env.pop("TANGGAP_TESTING", None)
    result = subprocess.run([sys.executable, "-m", "tanggap.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr
    env.update({"DEBUG": "0", "REDIS_URL": "localhost:6379"})
    result = subprocess.run([sys.executable, "-m", "tanggap.cli", "check"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert "REDIS_URL must start with redis://" in result.stderr
