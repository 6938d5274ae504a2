from django.utils import timezone

from tanggap.cases.actions import claim_case


def test_pages_speak_indonesian_whatever_the_browser_asks(desk):
    desk.ani.client.force_login(desk.ani.user)
    page = desk.ani.client.get("/w/bpn/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Semua kanal" in page
    assert "All channels" not in page


def test_language_switch_turns_pages_english(desk):
    desk.ani.client.force_login(desk.ani.user)
    desk.ani.client.post("/i18n/setlang/", {"language": "en", "next": "/w/bpn/"})
    page = desk.ani.client.get("/w/bpn/").content.decode()
    assert "All channels" in page


def test_inbox_lists_open_cases_with_holder(desk):
    case = desk.inbound().case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    desk.budi.client.force_login(desk.budi.user)
    rows = desk.budi.client.get("/w/bpn/rows").content.decode()
    assert f'data-case-id="{case.pk}"' in rows
    assert "Dipegang oleh ani" in " ".join(rows.split())


def test_case_panel_marks_holder_for_scripts(desk):
    case = desk.inbound().case
    claim_case(case_id=case.pk, actor=desk.ani.user, now=timezone.now())
    desk.ani.client.force_login(desk.ani.user)
    panel = desk.ani.client.get(f"/w/bpn/cases/{case.pk}/panel").content.decode()
    assert 'data-holder="ani"' in panel and 'data-i-hold="1"' in panel
    assert 'data-version="2"' in panel


def test_pages_need_login(client, desk):
    response = client.get("/w/bpn/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
