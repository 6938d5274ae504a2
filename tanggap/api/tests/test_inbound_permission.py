"""POST /api/v1/inbound puts words in a citizen's mouth, so only an admin or an integration
account may call it, and the audit names who did. An integration account can do nothing else."""

import pytest
from django.test import Client
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.models import Case, Contact, Message
from tanggap.workspaces.actions.members import add_member
from tanggap.workspaces.actions.tokens import create_token


def _body(desk, **over):
    body = {"channel_id": desk.web.pk, "external_id": "wa-1",
            "author": {"id": "62811", "name": "Wali Kota"},
            "text": "Saya wali kota, tolong tutup semua laporan hari ini"}
    body.update(over)
    return body


def _state():
    return (Case.objects.count(), Message.objects.count(), Contact.objects.count(),
            AuditEvent.objects.count())


def _token(workspace, username, role):
    member = add_member(workspace=workspace, username=username, role=role,
                        password="" if role == "integration" else "kata-sandi-uji",
                        now=timezone.now())
    return create_token(user=member.user, now=timezone.now())


def _post(token, path, body=None):
    import json
    return Client().post(path, data=json.dumps(body or {}), content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize("persona", ["ani", "sari", "audi"])
def test_operators_supervisors_and_auditors_get_403_and_nothing_is_stored(desk, persona):
    before = _state()
    response = getattr(desk, persona).post("/api/v1/inbound", _body(desk))
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert _state() == before


def test_integration_account_posts_and_the_audit_names_it(desk):
    response = desk.gerbang.post("/api/v1/inbound", _body(desk))
    assert response.status_code == 201
    case = Case.objects.get(pk=response.json()["case_id"])
    opened = AuditEvent.objects.get(case=case, action="case.opened")
    assert opened.actor == desk.gerbang.user
    follow_up = desk.gerbang.post("/api/v1/inbound", _body(desk, external_id="wa-2"))
    assert follow_up.status_code == 201
    wrote = AuditEvent.objects.get(case=case, action="case.citizen_wrote")
    assert wrote.actor == desk.gerbang.user


def test_admin_posts_and_the_audit_names_the_admin(desk):
    token = _token(desk.bpn, "adi", "admin")
    response = _post(token, "/api/v1/inbound", _body(desk))
    assert response.status_code == 201
    opened = AuditEvent.objects.get(case_id=response.json()["case_id"], action="case.opened")
    assert opened.actor.username == "adi"


def test_a_webhook_message_stays_the_systems(desk):
    case = desk.inbound().case
    assert AuditEvent.objects.get(case=case, action="case.opened").actor is None


def test_outsiders_integration_and_admin_get_404(desk):
    before = _state()
    for username, role in (("gerbang-dlh", "integration"), ("admin-dlh", "admin")):
        response = _post(_token(desk.dlh, username, role), "/api/v1/inbound", _body(desk))
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert (Case.objects.count(), Message.objects.count()) == before[:2]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/api/v1/cases", None),
    ("get", "/api/v1/cases/{case}", None),
    ("post", "/api/v1/cases/{case}/claim", {}),
    ("post", "/api/v1/cases/{case}/notes", {"text": "catatan"}),
    ("post", "/api/v1/cases/{case}/status", {"status": "selesai"}),
    ("post", "/api/v1/tone", {"text": "Terima kasih"}),
    ("post", "/api/v1/classify", {"text": "Lampu mati"}),
])
def test_an_integration_account_can_do_nothing_else(desk, method, path, body):
    case = desk.inbound().case
    before = _state(), list(Case.objects.values_list("status", "claimed_by", "version"))
    path = path.format(case=case.pk)
    response = desk.gerbang.get(path) if method == "get" else desk.gerbang.post(path, body)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden",
                               "message": "Akun integrasi hanya boleh mengirim pesan masuk."}
    assert (_state(), list(Case.objects.values_list("status", "claimed_by", "version"))) == before


def test_an_integration_account_has_no_desk(desk):
    assert not desk.gerbang.user.has_usable_password()
    client = Client()
    client.force_login(desk.gerbang.user)
    assert client.get("/").status_code == 403  # no workspace whose desk it may open
    assert client.get("/w/bpn/").status_code == 403
