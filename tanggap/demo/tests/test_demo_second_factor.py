"""The demo's supervisor and admin log in with a second factor too, from what `demo_setup`
prints: the authenticator key or a recovery code."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tanggap.workspaces.tests.helpers import code_for


def _setup() -> str:
    out = StringIO()
    call_command("demo_setup", "--no-seed", stdout=out)
    return out.getvalue()


def _key_hex(grouped: str) -> str:
    from base64 import b32decode
    secret = grouped.replace(" ", "")
    return b32decode(secret + "=" * (-len(secret) % 8)).hex()


@pytest.mark.django_db
def test_the_printed_key_and_recovery_codes_log_the_supervisor_in():
    output = _setup()
    keys = dict(re.findall(r"^  (hendra|wahyu)\s+key ((?:[A-Z2-7]{4} ?)+)$", output, re.M))
    assert set(keys) == {"hendra", "wahyu"}
    codes = re.findall(r"recovery codes ((?:[a-z2-7]{8} ?){10})$", output, re.M)
    assert len(codes) == 2
    client = Client()
    response = client.post("/login/", {"username": "hendra", "password": "tanggap-demo"})
    assert response["Location"] == "/login/code/"
    code = code_for(_key_hex(keys["hendra"].strip()))
    assert client.post("/login/code/", {"code": code})["Location"] == "/"
    assert client.get("/w/balikpapan-demo/").status_code == 200
    wahyu = Client()
    wahyu.post("/login/", {"username": "wahyu", "password": "tanggap-demo"})
    assert wahyu.post("/login/code/", {"code": codes[1].split()[0]})["Location"] == "/"
    # Run again: nothing is made twice, and the keys are not shown again.
    again = _setup()
    assert "hendra     set up earlier" in again
    assert not re.search(r"^  \w+\s+key ", again, re.M)
