"""Helpers of the portal tests: a form as a browser would post it, and a private upload dir."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from tanggap.portal import spam

# Real file signatures, padded: the portal looks only at the first bytes.
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 200


def form_data(*, age_seconds: float = 10, **fields) -> dict:
    """A complete, valid submission whose form was rendered `age_seconds` ago."""
    rendered_at = timezone.now() - timedelta(seconds=age_seconds)
    data = {
        "form_token": spam.issue_form_token(rendered_at),
        "kind": "aduan",
        "text": "Lampu jalan di Jl. Sudirman mati sejak kemarin malam.",
        "name": "",
        "contact": "",
        "address": "",
        "latitude": "",
        "longitude": "",
        spam.HONEYPOT_FIELD: "",
    }
    data.update(fields)
    return data


@pytest.fixture
def client() -> Client:
    """A browser that picked English. The portal's strings get their Indonesian from the shared
    .po file; asserting English keeps these tests independent of when that file is updated."""
    browser = Client()
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


@pytest.fixture
def uploads(settings, tmp_path):
    settings.TANGGAP_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def stored_files(root) -> list:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []
