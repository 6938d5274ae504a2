"""Backup, restore into a fresh desk, and the restored desk serves the same cases: the API's case
list and every case as the source desk answers them, the photo a citizen sent through the
portal, and the portal's status page."""

from __future__ import annotations

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tanggap.backup.create import create_backup
from tanggap.backup.tests.desks import SECRET, empty_desk
from tanggap.cases.actions import claim_case, send_reply
from tanggap.cases.models import Case
from tanggap.portal.tests.conftest import PNG_BYTES, form_data
from tanggap.testing.liveserver import LiveServer, session_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_restored_desk_serves_the_same_cases_photos_and_status_pages(tx_desk, settings,
                                                                        tmp_path):
    settings.TANGGAP_UPLOAD_DIR = str(tmp_path / "uploads")
    # The suite hashes passwords with MD5 for speed; the restored desk knows only real hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    tx_desk.ani.user.set_password("kata-sandi-pulih")
    tx_desk.ani.user.save(update_fields=["password"])
    now = timezone.now()
    first = tx_desk.inbound(text="Jalan berlubang di depan SD 012", external_id="m1").case
    tx_desk.inbound(text="Sampah menumpuk di pasar", external_id="m2", author_id="warga2")
    claim_case(case_id=first.pk, actor=tx_desk.ani.user, now=now)
    send_reply(case_id=first.pk, actor=tx_desk.ani.user, text="Terima kasih, kami teruskan.",
               idempotency_key="r-1", base_version=Case.objects.get(pk=first.pk).version, now=now)
    sent = Client().post("/lapor/bpn/", {**form_data(text="Pohon tumbang menutup jalan."),
                                         "photo": SimpleUploadedFile("a.png", PNG_BYTES)})
    assert sent.status_code == 200
    portal_case = Case.objects.filter(workspace=tx_desk.bpn).order_by("-pk").first()
    photo = portal_case.messages.get().attachments[0]
    photo_url = f"/lapor/desk/cases/{portal_case.pk}/messages/{portal_case.messages.get().pk}/photos/0"
    source_photo = tx_desk.ani.client
    source_photo.force_login(tx_desk.ani.user)
    photo_bytes = source_photo.get(photo_url).getvalue()
    assert photo_bytes and len(photo_bytes) == photo["size"]

    listing = tx_desk.ani.get("/api/v1/cases?status=all&limit=200").json()
    cases = {c["id"]: tx_desk.ani.get(f"/api/v1/cases/{c['id']}").json()
             for c in listing["results"]}
    assert len(cases) == 3
    written = create_backup(tmp_path / "desk.tar.gz", now=timezone.now())

    with empty_desk(tmp_path) as fresh:
        fresh.data_dir.mkdir()
        server = LiveServer(data_dir=fresh.data_dir, database_url=fresh.database_url,
                            extra_env={"SECRET_KEY": SECRET})
        try:
            assert "restored the backup" in server.cli("restore", str(written.path))
            server.start(worker=False)
            api = httpx.Client(base_url=server.url, timeout=30,
                               headers={"Authorization": f"Bearer {tx_desk.ani.token}"})
            assert api.get("/api/v1/cases?status=all&limit=200").json() == listing
            for case_id, body in cases.items():
                assert api.get(f"/api/v1/cases/{case_id}").json() == body
            browser = session_login(server.url, "ani", "kata-sandi-pulih")
            served = browser.get(photo_url)
            assert served.status_code == 200 and served.content == photo_bytes
            status = httpx.get(f"{server.url}/lapor/status/{portal_case.tracking_number}/")
            assert status.status_code == 200
            assert "Pohon tumbang menutup jalan." in status.text
        finally:
            server.stop()
