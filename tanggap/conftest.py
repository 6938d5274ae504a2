"""Shared fixtures: two workspaces and the personas of every endpoint test.

`bpn` is the city desk (operators ani and budi, supervisor sari, auditor audi, and `gerbang`,
the integration account of its web form that may only post inbound messages); `dlh` is an SKPD's
desk with its own operator, `luar`, the outsider of every isolation test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from asgiref.sync import SyncToAsync
from django.db import connections
from django.test import Client
from django.utils import timezone, translation

from tanggap.cases.actions import ingest_inbound
from tanggap.connectors.actions.channels import add_channel
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token
from tanggap.workspaces.actions.workspaces import create_workspace
from tanggap.workspaces.models import AccessGeneration


@dataclass
class Persona:
    user: object
    token: str
    client: Client

    def post(self, path: str, body=None, **extra):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body or {})
        return self.client.post(path, data=data, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {self.token}", **extra)

    def get(self, path: str, **extra):
        return self.client.get(path, HTTP_AUTHORIZATION=f"Bearer {self.token}", **extra)


@dataclass
class Desk:
    bpn: object
    dlh: object
    web: object
    x: object
    dlh_web: object
    ani: Persona
    budi: Persona
    sari: Persona
    audi: Persona
    luar: Persona
    gerbang: Persona

    def inbound(self, text="Lampu jalan di Jl. Sudirman mati sejak kemarin", external_id="m1",
                author_id="warga1", thread_id="", channel=None, now=None):
        return ingest_inbound(
            channel=channel or self.web, external_id=external_id, author_id=author_id,
            author_name="Warga Satu", text=text, thread_id=thread_id, now=now or timezone.now(),
        )


def _persona(workspace, username, role, now) -> Persona:
    membership = add_member(workspace=workspace, username=username, role=role,
                            password="" if role == "integration" else "kata-sandi-uji", now=now)
    return Persona(membership.user, create_token(user=membership.user, now=now), Client())


def make_desk() -> Desk:
    now = timezone.now()
    bpn = create_workspace(slug="bpn", name="Pemkot Balikpapan", now=now)
    dlh = create_workspace(slug="dlh", name="DLH Balikpapan", now=now)
    return Desk(
        bpn=bpn,
        dlh=dlh,
        web=add_channel(workspace=bpn, platform="web", handle="bpn-web", now=now),
        x=add_channel(workspace=bpn, platform="x", handle="PemkotBPN", now=now, simulated=True),
        dlh_web=add_channel(workspace=dlh, platform="web", handle="dlh-web", now=now),
        ani=_persona(bpn, "ani", "operator", now),
        budi=_persona(bpn, "budi", "operator", now),
        sari=_persona(bpn, "sari", "supervisor", now),
        audi=_persona(bpn, "audi", "auditor", now),
        luar=_persona(dlh, "luar", "operator", now),
        gerbang=_persona(bpn, "gerbang", "integration", now),
    )


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Every test starts in the desk's default language, as every process and every request
    does. A request through the test client leaves its language active in the test's thread
    (LocaleMiddleware activates one, nothing deactivates it), and a command's message in a later
    test on the same xdist worker then came out in English."""
    translation.deactivate()


@pytest.fixture
def desk(db) -> Desk:
    return make_desk()


@pytest.fixture
def tx_desk(transactional_db) -> Iterator[Desk]:
    # A transactional test ends by emptying every table, the rows that migrations seed
    # included; the access generation's row (workspaces 0005) is put back, else every later
    # transactional test would run with the inbound's token lookup never kept.
    AccessGeneration.objects.get_or_create(id=1, defaults={"n": 0})
    yield make_desk()
    # The async tests (websockets) reach the database from asgiref's one shared worker thread,
    # whose connection would outlive the test; on PostgreSQL an open connection stops the test
    # database from being dropped at the end of the run. A connection is closed by its thread.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()
