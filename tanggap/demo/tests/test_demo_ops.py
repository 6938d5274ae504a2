"""What the demo lets a visitor try of the desk's operations: a WhatsApp channel with citizens in
the seeded inbox, abusive comments on Facebook and Instagram that can be hidden, the supervisor's
canned replies filled in for a case, and replies the tone guard warns about held for approval."""

import pytest
from django.test import Client

from tanggap.cases.models import Case, Message
from tanggap.demo.actions import DEMO_TEMPLATES
from tanggap.demo.tests.test_demo_setup import demo_setup
from tanggap.replytemplates.models import ReplyTemplate
from tanggap.workspaces.models import Workspace


@pytest.mark.django_db
def test_the_demo_shows_whatsapp_hideable_abuse_templates_and_approval():
    output = demo_setup()
    assert "Templates: 6 canned replies (6 added)" in output
    assert "Approvals: replies the tone guard warns about wait for hendra" in output
    workspace = Workspace.objects.get()
    assert workspace.approve_warn

    assert Case.objects.filter(channel__platform="whatsapp").exists()
    # Abusive comments under the city's posts, which the desk can hide on the platform.
    abusive = Message.objects.filter(direction="in", case__kasar=True,
                                     channel__platform__in=("facebook", "instagram"))
    assert abusive.exists()
    message = abusive.first()
    page = Client()
    page.force_login(message.case.claimed_by or _operator())
    panel = page.get(f"/w/{workspace.slug}/cases/{message.case_id}/panel").content.decode()
    assert f'data-hide-message="{message.pk}" data-hidden="true"' in panel

    assert sorted(ReplyTemplate.objects.values_list("name", flat=True)) == sorted(
        name for name, *_rest in DEMO_TEMPLATES)
    case = Case.objects.filter(topic="penerangan_jalan").first() or Case.objects.first()
    client = Client()
    client.force_login(_operator())
    offers = client.get(f"/api/v1/cases/{case.pk}/templates").json()["results"]
    thanks = next(o for o in offers if o["name"] == "Terima kasih atas apresiasi")
    assert case.tracking_number not in thanks["template"]
    assert thanks["text"] is None or "{" not in thanks["text"]

    # A second run adds nothing and leaves a template the desk changed alone.
    ReplyTemplate.objects.filter(name="Mohon lokasi lengkap").update(text="Diubah desk.")
    assert "Templates: 6 canned replies (exist)" in demo_setup()
    assert ReplyTemplate.objects.get(name="Mohon lokasi lengkap").text == "Diubah desk."


def _operator():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="dewi")
