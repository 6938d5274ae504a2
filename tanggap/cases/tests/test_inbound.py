import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, send_reply, set_case_status
from tanggap.cases.models import Case, Contact, Message
from tanggap.errors import InvalidInput


def test_new_message_opens_case_with_tracking_number(desk):
    result = desk.inbound()
    assert result.created is True
    case = result.case
    assert (case.status, case.version, case.workspace_id) == ("baru", 1, desk.bpn.pk)
    # 60 random bits in Crockford's base32 (no I, L, O, U), in three groups of four.
    assert re.fullmatch(r"TG-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}",
                        case.tracking_number)
    assert AuditEvent.objects.filter(case=case, action="case.opened").count() == 1


def test_same_platform_message_twice_is_stored_once(desk):
    first = desk.inbound(external_id="dup")
    second = desk.inbound(external_id="dup")
    assert second.created is False
    assert second.message.pk == first.message.pk
    assert Message.objects.filter(external_id="dup").count() == 1


def test_same_external_id_on_another_channel_is_a_different_message(desk):
    desk.inbound(external_id="same", channel=desk.web)
    other = desk.inbound(external_id="same", channel=desk.x)
    assert other.created is True
    assert Message.objects.filter(external_id="same").count() == 2


def test_follow_up_on_same_thread_joins_open_case(desk):
    first = desk.inbound(external_id="a", thread_id="t1", channel=desk.x)
    second = desk.inbound(external_id="b", thread_id="t1", channel=desk.x)
    other_thread = desk.inbound(external_id="c", thread_id="t2", channel=desk.x)
    assert second.case.pk == first.case.pk
    assert other_thread.case.pk != first.case.pk
    assert Contact.objects.filter(external_id="warga1").count() == 1


def test_without_thread_follow_up_joins_open_case_on_channel(desk):
    first = desk.inbound(external_id="a")
    second = desk.inbound(external_id="b")
    assert second.case.pk == first.case.pk
    assert second.case.version == 2


def test_closed_case_is_not_joined(desk):
    first = desk.inbound(external_id="a")
    set_case_status(case_id=first.case.pk, actor=desk.ani.user, status="selesai",
                    now=timezone.now())
    second = desk.inbound(external_id="b")
    assert second.case.pk != first.case.pk
    assert Case.objects.filter(contact__external_id="warga1").count() == 2


def test_citizen_writing_again_reopens_answered_case_for_its_holder(desk):
    now = timezone.now()
    case = desk.inbound(external_id="a", now=now).case
    case = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    send_reply(case_id=case.pk, actor=desk.ani.user, text="Baik, kami cek.", idempotency_key="k",
               base_version=case.version, now=now)
    again = desk.inbound(external_id="b", now=now + timedelta(minutes=1)).case
    assert (again.status, again.answered_by_id, again.claimed_by_id) == (
        "diklaim", None, desk.ani.user.pk)


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001, None, 42])
def test_bad_text_stores_nothing(desk, text):
    with pytest.raises(InvalidInput):
        desk.inbound(text=text)
    assert Case.objects.count() == 0
    assert Contact.objects.count() == 0
    assert Message.objects.count() == 0


def test_text_of_exactly_the_limit_is_accepted(desk):
    assert desk.inbound(text="a" * 10_000).created is True


def test_tracking_number_collision_is_drawn_again(desk, monkeypatch):
    first = desk.inbound(external_id="a", author_id="w1").case
    draws = iter([first.tracking_number, "TG-ZZZZ-ZZZZ"])
    monkeypatch.setattr("tanggap.cases.actions.new_tracking_number", lambda: next(draws))
    second = desk.inbound(external_id="b", author_id="w2").case
    assert second.tracking_number == "TG-ZZZZ-ZZZZ"
    assert Case.objects.count() == 2
    assert Contact.objects.filter(external_id="w2").count() == 1


def test_a_tracking_number_spells_its_sixty_bits_in_order(monkeypatch):
    """Every 5 bits of the one draw is one character: all 32 letters of the alphabet are
    reachable in every position, and nothing else is."""
    from tanggap.cases import tracking

    monkeypatch.setattr(tracking.secrets, "randbits",
                        lambda n: sum(i << (5 * i) for i in range(12)) if n == 60 else None)
    assert tracking.new_tracking_number() == "TG-0123-4567-89AB"
    monkeypatch.setattr(tracking.secrets, "randbits", lambda n: (1 << n) - 1)
    assert tracking.new_tracking_number() == "TG-ZZZZ-ZZZZ-ZZZZ"
