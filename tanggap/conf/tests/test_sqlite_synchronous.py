"""SQLite's `synchronous` level: FULL unless TANGGAP_SQLITE_SYNCHRONOUS says normal, applied to
every connection (docs/configuration.md, "SQLite and power cuts")."""

import sqlite3

import pytest
from django.core.exceptions import ImproperlyConfigured

from tanggap.conf.env import env_choice, parse_database_url, sqlite_database
from tanggap.conf.tests.cli import clean_env, python

FULL, NORMAL = 2, 1  # what PRAGMA synchronous answers


def _level_of(settings_dict, tmp_path) -> int:
    connection = sqlite3.connect(tmp_path / "probe.sqlite3")
    try:
        connection.executescript(settings_dict["OPTIONS"]["init_command"])
        return connection.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        connection.close()


def test_full_by_default_normal_when_asked(tmp_path):
    assert _level_of(parse_database_url(f"sqlite:///{tmp_path}/a.sqlite3", base_dir="/"),
                     tmp_path) == FULL
    assert _level_of(sqlite_database(str(tmp_path / "b.sqlite3"), synchronous="normal"),
                     tmp_path) == NORMAL


def test_anything_else_is_refused(monkeypatch):
    monkeypatch.setenv("TANGGAP_SQLITE_SYNCHRONOUS", "off")
    with pytest.raises(ImproperlyConfigured,
                       match="TANGGAP_SQLITE_SYNCHRONOUS must be one of full, normal; got 'off'"):
        env_choice("TANGGAP_SQLITE_SYNCHRONOUS", "full", ("full", "normal"))
    with pytest.raises(ImproperlyConfigured, match="must be full or normal"):
        sqlite_database("/x.sqlite3", synchronous="OFF")


@pytest.mark.parametrize(("value", "level"), [(None, FULL), ("normal", NORMAL), ("FULL", FULL)])
def test_the_desks_own_connections_use_the_setting(tmp_path, value, level):
    variables = {"TANGGAP_DATA_DIR": str(tmp_path / "var"), "SECRET_KEY": "s" * 50}
    if value is not None:
        variables["TANGGAP_SQLITE_SYNCHRONOUS"] = value
    done = python("from django.db import connection\n"
                  "with connection.cursor() as c:\n"
                  "    c.execute('PRAGMA synchronous'); print(c.fetchone()[0])",
                  env=clean_env(**variables))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(level)
