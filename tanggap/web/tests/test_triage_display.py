"""What the desk shows of the language engine: suggestions, "perlu dicek" when it abstains, and
the supervisors' Model panel of the workspace's own model."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import floatformat
from django.utils import dateformat, timezone, translation

from tanggap.cases import learning
from tanggap.cases.actions import correct_triage
from tanggap.cases.models import TriageModel

TORN = "air pdam mati sejak pagi, lampu jalan juga"  # two matters of equal weight


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def test_an_unsure_case_shows_perlu_dicek_and_its_suggestions_not_a_badge(desk):
    case = desk.inbound(text=TORN).case
    desk.ani.client.force_login(desk.ani.user)
    panel = _flat(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel"))
    assert '<span class="badge check" id="case-check"' in panel and "perlu dicek" in panel
    assert 'id="case-topic"' not in panel and 'class="badge intent"' not in panel
    assert ('Kemungkinan topik: <span class="suggestion">Air bersih <small>49%</small></span> '
            '<span class="suggestion">Penerangan jalan <small>49%</small></span>') in panel
    rows = _flat(desk.ani.client.get("/w/bpn/rows"))
    assert 'class="badge check"' in rows and "perlu dicek" in rows
    assert "badge topic" not in rows


def test_a_sure_or_confirmed_case_shows_its_badges_again(desk):
    sure = desk.inbound(text="Lampu PJU di Jl. Melati mati, gelap gulita", external_id="s",
                        author_id="w-s").case
    torn = desk.inbound(text=TORN, external_id="t", author_id="w-t").case
    correct_triage(case_id=torn.pk, actor=desk.ani.user, topic="air_bersih",
                   now=timezone.now())
    desk.ani.client.force_login(desk.ani.user)
    for case, label in ((sure, "Penerangan jalan"), (torn, "Air bersih")):
        panel = _flat(desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel"))
        assert f'<span class="badge topic" id="case-topic">{label}' in panel
        assert 'class="badge check"' not in panel
    rows = _flat(desk.ani.client.get("/w/bpn/rows"))
    assert 'class="badge check"' not in rows and rows.count('class="badge topic topic-') == 2


def test_the_api_case_json_carries_suggestions_and_needs_check(desk):
    case = desk.inbound(text=TORN).case
    body = desk.ani.get(f"/api/v1/cases/{case.pk}").json()
    assert body["needs_check"] is True and body["triage_confidence"] == 0.494
    assert body["topic_suggestions"] == [{"topic": "air_bersih", "confidence": 0.494},
                                         {"topic": "penerangan_jalan", "confidence": 0.494}]
    listed = desk.ani.get("/api/v1/cases").json()["results"]
    assert [c["needs_check"] for c in listed] == [True]
    # The outsider learns nothing of it.
    assert desk.luar.get(f"/api/v1/cases/{case.pk}").status_code == 404


@pytest.fixture
def trained(desk, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    learning.forget_models()
    now = timezone.now()
    for n, (text, topic) in enumerate([("zorbak mati blok {}", "air_bersih"),
                                       ("plonter belum datang gang {}", "jalan")] * 4):
        case = desk.inbound(text=text.format(n), external_id=f"l{n}", author_id=f"w{n}").case
        correct_triage(case_id=case.pk, actor=desk.ani.user, topic=topic, now=now)
    learning.retrain(workspace_id=desk.bpn.pk, clock=lambda: now)
    TriageModel.objects.filter(workspace=desk.bpn).update(queued_at=now)
    yield TriageModel.objects.get(workspace=desk.bpn)
    learning.forget_models()


def test_supervisors_see_the_model_panel(desk, trained):
    desk.sari.client.force_login(desk.sari.user)
    page = _flat(desk.sari.client.get("/w/bpn/"))
    with translation.override("id"):
        when = dateformat.format(timezone.localtime(trained.trained_at), "d M Y H:i")
        accuracy = floatformat(trained.accuracy, 3)
    assert f"Terakhir belajar {when} dari 8 kasus berlabel." in page
    assert f"Akurasi validasi silang {accuracy} (macro-F1" in page
    assert "Pelatihan ulang sudah diantrekan." in page


def test_the_panel_says_when_the_desk_has_no_model_or_is_learning(desk, settings):
    desk.sari.client.force_login(desk.sari.user)
    page = _flat(desk.sari.client.get("/w/bpn/"))
    assert "Desk ini belum melatih modelnya sendiri" in page
    TriageModel.objects.create(workspace=desk.bpn,
                               training_until=timezone.now() + timedelta(minutes=5),
                               last_error="training needs at least two different labels")
    page = _flat(desk.sari.client.get("/w/bpn/"))
    assert "Sedang belajar." in page
    assert "Pelatihan terakhir gagal: training needs at least two different labels" in page


def test_operators_auditors_and_outsiders_never_see_the_panel(desk, trained):
    for persona in (desk.ani, desk.audi):
        persona.client.force_login(persona.user)
        page = persona.client.get("/w/bpn/").content.decode()
        assert 'id="language-model"' not in page and "Terakhir belajar" not in page
    desk.luar.client.force_login(desk.luar.user)
    assert desk.luar.client.get("/w/bpn/").status_code == 404
    own = desk.luar.client.get("/w/dlh/").content.decode()
    assert 'id="language-model"' not in own  # luar is an operator of dlh
