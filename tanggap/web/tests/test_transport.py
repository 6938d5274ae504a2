"""Transport and browser: the Content-Security-Policy on every page (and no inline script, handler
or style left for it to block), and the one HTTPS switch (TANGGAP_HTTPS) that turns on secure
cookies, HSTS, the redirect to HTTPS and the TLS proxy's header, so `check --deploy` passes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tanggap.conf.tests.cli import clean_env, python, tanggap
from tanggap.workspaces.actions.members import add_member

# img-src adds the map's tile server (TANGGAP_MAP_TILES) and nothing else.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
          "img-src 'self' https://tile.openstreetmap.org; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
          "object-src 'none'")


@pytest.mark.django_db
def test_every_kind_of_page_carries_the_policy(desk):
    case = desk.inbound().case
    admin = add_member(workspace=desk.bpn, username="adi", role="admin",
                       password="kata-sandi-uji", now=timezone.now()).user
    anonymous, member, boss = Client(), Client(), Client()
    member.force_login(desk.ani.user)
    boss.force_login(admin)
    pages = [
        (anonymous, "/login/", 200),
        (anonymous, "/lapor/bpn/", 200),
        (anonymous, "/lapor/status/", 200),
        (anonymous, "/no-such-page/", 404),
        (member, "/w/bpn/", 200),
        (member, "/w/bpn/rows", 200),
        (member, f"/w/bpn/cases/{case.pk}/", 200),
        (member, f"/w/bpn/cases/{case.pk}/panel", 200),
        (boss, "/w/bpn/channels/", 200),
        (member, "/api/v1/cases", 200),
    ]
    for client, path, status in pages:
        response = client.get(path)
        assert response.status_code == status, path
        assert response["Content-Security-Policy"] == POLICY, path


TEMPLATE_ROOTS = sorted(Path(__file__).resolve().parents[2].glob("*/templates"))
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler (on...=)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_holds_what_the_policy_blocks():
    """The policy allows scripts and styles only from static files; anything inline would be
    silently dead in the browser. Behaviour goes into tanggap/*/static/."""
    templates = [p for root in TEMPLATE_ROOTS for p in root.rglob("*.html")]
    assert len(templates) > 10
    found = [f"{p.relative_to(p.parents[3])}: {what}"
             for p in templates for pattern, what in INLINE
             if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []


HTTPS = {"SECURE_SSL_REDIRECT": True,
         "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
         "SECURE_REDIRECT_EXEMPT": [r"^api/v1/health$"], "SECURE_HSTS_SECONDS": 31536000,
         "SECURE_HSTS_INCLUDE_SUBDOMAINS": False, "SECURE_HSTS_PRELOAD": False,
         "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True}
READ_SETTINGS = f"""
import json
from django.conf import settings
print(json.dumps({{name: getattr(settings, name) for name in {sorted(HTTPS)!r}}}))
"""
# What a deployment sets (docs/configuration.md): no debug, its own long key and host name.
DEPLOYED = {"DEBUG": "false", "ALLOWED_HOSTS": "pengaduan.balikpapan.go.id",
            "SECRET_KEY": "kunci-rahasia-kota-balikpapan-2026-" + "q8Zr4vN1xK7mPw2s" * 3}


def _expected(values: dict) -> dict:
    return json.loads(json.dumps(values))  # tuples come back as lists


def test_one_switch_turns_on_secure_cookies_hsts_the_redirect_and_the_proxy_header(tmp_path):
    env = clean_env(TANGGAP_DATA_DIR=str(tmp_path / "var"), **DEPLOYED, TANGGAP_HTTPS="true")
    done = python(READ_SETTINGS, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == _expected(HTTPS)

    env["TANGGAP_HSTS_SECONDS"] = "300"
    env["TANGGAP_HSTS_INCLUDE_SUBDOMAINS"] = "true"
    done = python(READ_SETTINGS, env=env)
    assert json.loads(done.stdout) == _expected(
        {**HTTPS, "SECURE_HSTS_SECONDS": 300, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True})


def test_check_deploy_passes_with_the_switch_and_names_what_is_missing_without_it(tmp_path):
    env = clean_env(TANGGAP_DATA_DIR=str(tmp_path / "var"), **DEPLOYED, TANGGAP_HTTPS="true")

    done = tanggap("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout

    del env["TANGGAP_HTTPS"]
    done = tanggap("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert done.returncode != 0
    assert re.findall(r"\(security\.(W\d+)\)", done.stderr) == ["W004", "W008", "W012", "W016"]


@pytest.mark.django_db
@override_settings(**HTTPS)
def test_under_the_switch_plain_http_is_redirected_and_https_gets_hsts_and_secure_cookies(desk):
    client = Client()
    plain = client.get("/login/")
    assert (plain.status_code, plain["Location"]) == (301, "https://testserver/login/")
    assert client.get("/api/v1/health").status_code == 200  # a proxy's probe

    # Through the TLS proxy, which says so in X-Forwarded-Proto.
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert secure.cookies["csrftoken"]["secure"] is True
    logged_in = client.post("/login/", {"username": "ani", "password": "kata-sandi-uji"},
                            HTTP_X_FORWARDED_PROTO="https")
    assert logged_in.status_code == 302
    assert logged_in.cookies["sessionid"]["secure"] is True
