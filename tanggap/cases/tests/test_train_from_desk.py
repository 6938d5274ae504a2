"""`tanggap train --from-desk`: operators' corrections become a model the CLI can use."""

import json
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from tanggap.cases.actions import correct_triage
from tanggap.cases.tests.test_task_workers import _database_url

# `tanggap train` runs as a process of its own, as an admin runs it.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TEXTS = {
    "air_bersih": ["Air PDAM di rumah saya mati sejak pagi", "Air keruh keluar dari keran",
                   "Pipa air bocor depan rumah, air tidak mengalir"],
    "jalan": ["Jalan berlubang besar di Sepinggan", "Aspal jalan rusak parah dekat pasar",
              "Jalan amblas di Batu Ampar"],
}


def test_corrections_train_a_model(tx_desk, tmp_path):
    now = timezone.now()
    n = 0
    for topic, texts in TEXTS.items():
        for text in texts:
            n += 1
            case = tx_desk.inbound(text=text, external_id=f"m{n}", author_id=f"w{n}").case
            correct_triage(case_id=case.pk, actor=tx_desk.ani.user, topic=topic, now=now)
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"text": "Sampah menumpuk di TPS Klandasan",
                                 "topic": "sampah_kebersihan"}) + "\n")
    env = {**os.environ, "DATABASE_URL": _database_url(), "TANGGAP_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "tanggap.settings",
           "SECRET_KEY": "train-test-secret-key-long-enough-0123456789"}
    env.pop("TANGGAP_TESTING", None)
    model = tmp_path / "model.json"
    trained = subprocess.run(
        [sys.executable, "-m", "tanggap.cli", "train", "--from-desk", "bpn", "--input", str(extra),
         "--output", str(model)], env=env, capture_output=True, text=True, timeout=120)
    assert trained.returncode == 0, trained.stderr
    assert "6 labelled cases exported" in trained.stderr
    assert model.exists()
    classified = subprocess.run(
        [sys.executable, "-m", "tanggap.cli", "classify", "--model", str(model)],
        input=json.dumps({"id": 1, "text": "Air PDAM mati lagi"}) + "\n", env=env,
        capture_output=True, text=True, timeout=60)
    assert classified.returncode == 0, classified.stderr
    out = json.loads(classified.stdout)
    assert (out["id"], out["topic"]) == (1, "air_bersih")


def test_unknown_workspace_is_refused(tx_desk, tmp_path):
    env = {**os.environ, "DATABASE_URL": _database_url(), "TANGGAP_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "tanggap.settings",
           "SECRET_KEY": "train-test-secret-key-long-enough-0123456789"}
    env.pop("TANGGAP_TESTING", None)
    result = subprocess.run(
        [sys.executable, "-m", "tanggap.cli", "train", "--from-desk", "nope", "--output",
         str(tmp_path / "m.json")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "no workspace nope" in result.stderr
    assert not (tmp_path / "m.json").exists()
