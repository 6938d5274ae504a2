"""Helpers of the portal tests: a form as a browser would post it, and a private upload dir."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from tanggap.portal import spam


def image_bytes(fmt: str, *, size=(40, 20), **save) -> bytes:
    """A real picture: left half red, right half blue (so a rotation can be seen)."""
    picture = Image.new("RGB", size, (0, 0, 255))
    picture.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    picture.save(out, fmt, **save)
    return out.getvalue()


JPEG_BYTES = image_bytes("JPEG")
PNG_BYTES = image_bytes("PNG")
WEBP_BYTES = image_bytes("WEBP")


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
