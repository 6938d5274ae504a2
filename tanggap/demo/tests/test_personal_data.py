"""No personal data on any public page: the demo desk with a month of history (citizens with
names, phone numbers typed in the form, points on the map, words) and Open311 requests with
names, e-mail addresses and phones; then every public page, every open data file and every
Open311 answer is searched for all of it. One case is made public: its words must show, and
still no name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tanggap.cases.models import Case, Contact, Direction, Message
from tanggap.demo.actions import DEMO_MEMBERS, DEMO_SLUG, setup_demo
from tanggap.demo.history import generate_history
from tanggap.portal.models import Submission
from tanggap.reports.actions import set_case_public
from tanggap.reports.models import Open311Request
from tanggap.reports.rollup import catch_up
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token
from tanggap.workspaces.models import Workspace

OPEN311_CITIZENS = [
    {"first_name": "Kartika", "last_name": "Wulandari", "email": "kartika.w@example.org",
     "phone": "081298765432", "address_string": "Jl. Kutilang No. 7, Gunung Sari Ulu",
     "lat": "-1.254321", "long": "116.851234",
     "description": "Saluran air tersumbat di depan rumah Bu Kartika, banjir kalau hujan"},
    {"first_name": "Yohanes", "last_name": "Silalahi", "email": "yohanes.s@example.org",
     "phone": "+6285311112222", "address_string": "Perumahan Balikpapan Baru Blok C3",
     "lat": "-1.243111", "long": "116.877222",
     "description": "Lampu PJU di blok C3 mati total sudah seminggu, tolong diperbaiki"},
]


@pytest.fixture
def public_demo(db):
    now = timezone.now()
    setup_demo(now=now)
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    generate_history(workspace=workspace, now=now, days=30, per_day=12)
    integration = add_member(workspace=workspace, username="portal-kota", role="integration",
                             password="", now=now)
    token = create_token(user=integration.user, now=now)
    client = Client()
    for citizen in OPEN311_CITIZENS:
        response = client.post("/open311/v2/requests.json", {
            "api_key": token, "service_code": "drainase_banjir", **citizen})
        assert response.status_code == 200
    catch_up(now=now + timedelta(seconds=1))
    return workspace, now


def _secrets(workspace, public_case) -> set[str]:
    found = set()
    for name in Contact.objects.filter(workspace=workspace).values_list("display_name",
                                                                         flat=True):
        if " " in name:  # full names; "Warga" and "Anonim" are what the desk calls nobody
            found.add(name)
    found |= {m.full_name for m in DEMO_MEMBERS}
    for contact in Submission.objects.filter(workspace=workspace).values_list(
            "reporter_contact", flat=True):
        if contact:
            found |= {contact, contact.lstrip("+"), "0" + contact[3:]}
    for request in Open311Request.objects.all():
        found |= {request.email, request.phone, request.address, f"{request.latitude}",
                  f"{request.longitude}", f"{request.first_name} {request.last_name}"}
    found |= set(Case.objects.filter(workspace=workspace).values_list("tracking_number",
                                                                       flat=True))
    found |= set(Submission.objects.filter(workspace=workspace).exclude(address="")
                 .values_list("address", flat=True))
    public_words = set(Message.objects.filter(case=public_case).values_list("text", flat=True))
    for text in Message.objects.filter(workspace=workspace, direction=Direction.IN).exclude(
            case=public_case).values_list("text", flat=True):
        if len(text) >= 40 and text not in public_words:
            found.add(text)
    return {s for s in found if s}


def _pages(client, workspace) -> dict[str, str]:
    slug = workspace.slug
    paths = [f"/transparansi/{slug}/", f"/transparansi/{slug}/data/stats.csv",
             f"/transparansi/{slug}/data/stats.json", f"/transparansi/{slug}/data/cases.csv",
             f"/transparansi/{slug}/data/cases.json", f"/lapor/{slug}/",
             "/open311/v2/discovery.json", "/open311/v2/discovery.xml"]
    for fmt in ("json", "xml"):
        paths += [f"/open311/v2/services.{fmt}", f"/open311/v2/services/jalan.{fmt}",
                  f"/open311/v2/requests.{fmt}",
                  f"/open311/v2/requests.{fmt}?status=closed",
                  f"/open311/v2/requests.{fmt}?service_code=drainase_banjir"]
    for case_id in Case.objects.filter(workspace=workspace).order_by("-pk").values_list(
            "pk", flat=True)[:40]:
        paths.append(f"/open311/v2/requests/{case_id}.json")
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        pages[path] = raw.decode("utf-8-sig")
    return pages


def test_no_public_page_shows_a_citizens_data(public_demo):
    workspace, now = public_demo
    sari = workspace.memberships.get(role="supervisor").user
    public_case = Case.objects.filter(workspace=workspace, channel__platform="facebook").order_by(
        "pk").first()
    set_case_public(case_id=public_case.pk, actor=sari, public=True, now=now)
    secrets = _secrets(workspace, public_case)
    assert len(secrets) > 300
    pages = _pages(Client(), workspace)
    assert len(pages) > 50
    leaks = [(secret, path) for path, text in pages.items() for secret in secrets
             if secret in text]
    assert leaks == []
    # The public case shows its words (and the map its areas), so the search above had
    # something to find.
    words = Message.objects.filter(case=public_case, direction=Direction.IN).first().text
    assert words in pages[f"/transparansi/{workspace.slug}/"]
    assert public_case.contact.display_name not in pages[f"/transparansi/{workspace.slug}/"]
    assert '"area_latitude"' in pages[f"/transparansi/{workspace.slug}/data/cases.json"]
