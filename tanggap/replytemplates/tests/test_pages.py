"""The templates page: every member reads the canned replies grouped by topic; admins and
supervisors get the form; outsiders get 404."""

from __future__ import annotations


def _flat(response) -> str:
    return " ".join(response.content.decode().split())


def _english(persona):
    persona.client.force_login(persona.user)
    persona.client.cookies["django_language"] = "en"


def test_the_templates_page_lists_by_topic_and_offers_the_form_to_supervisors(desk):
    desk.sari.post("/api/v1/templates", {"name": "Lampu", "text": "Terima kasih, {nama}.",
                                         "topics": ["penerangan_jalan"]})
    desk.sari.post("/api/v1/templates", {"name": "Umum", "text": "Terima kasih."})
    _english(desk.sari)
    page = _flat(desk.sari.client.get("/w/bpn/templates/"))
    assert page.index("<h2>Street lighting</h2>") < page.index("Lampu") < page.index(
        "<h2>For any topic</h2>") < page.index("Umum")
    assert 'id="tpl-form"' in page and "{nama}</code> the citizen&#x27;s name" in page
    desk.ani.client.force_login(desk.ani.user)
    page = _flat(desk.ani.client.get("/w/bpn/templates/"))
    assert "Lampu" in page and 'id="tpl-form"' not in page and "tpl-edit" not in page
    desk.luar.client.force_login(desk.luar.user)
    assert desk.luar.client.get("/w/bpn/templates/").status_code == 404
