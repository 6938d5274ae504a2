"""Referral fixtures: the bpn desk's directory (PLN, PDAM, DLH with its own `dlh` desk)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from tanggap.referrals.actions import BodyFields, add_body


@dataclass
class Directory:
    pln: object
    pdam: object
    dlh: object
    dlh_bodies: object  # a body of the other workspace: never reachable from bpn's cases


def make_directory(desk) -> Directory:
    now = timezone.now()
    pln = add_body(workspace_id=desk.bpn.pk, actor=None, now=now, fields=BodyFields(
        name="PLN UP3 Balikpapan", kind="external", topics=["listrik"],
        emails=["pengaduan@pln.example"], whatsapp="+628115401234"))
    pdam = add_body(workspace_id=desk.bpn.pk, actor=None, now=now, fields=BodyFields(
        name="Perumda Tirta Manuntung Balikpapan", kind="external", topics=["air_bersih"],
        emails=["humas@ptmb.example"], acknowledge_days=2, follow_up_days=4))
    dlh = add_body(workspace_id=desk.bpn.pk, actor=None, now=now, fields=BodyFields(
        name="Dinas Lingkungan Hidup", kind="internal", topics=["sampah_kebersihan"],
        linked_workspace_slug="dlh"))
    foreign = add_body(workspace_id=desk.dlh.pk, actor=None, now=now, fields=BodyFields(
        name="PLN (dlh's list)", kind="external", topics=["listrik"]))
    return Directory(pln, pdam, dlh, foreign)


@pytest.fixture
def directory(desk) -> Directory:
    return make_directory(desk)
