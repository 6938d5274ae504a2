from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tanggap.audit.models import AuditEvent
from tanggap.cases.actions import claim_case, release_case, send_reply
from tanggap.cases.models import Message
from tanggap.errors import AlreadyAnswered, CaseClosed, InvalidInput, NotHolder, StaleVersion

REPLY = "Terima kasih atas laporannya, Bapak. Kami teruskan ke Dinas Perhubungan hari ini."


def _claimed(desk, who="ani"):
    case = desk.inbound().case
    persona = getattr(desk, who)
    return claim_case(case_id=case.pk, actor=persona.user, now=timezone.now())


def test_holder_reply_creates_one_outbound_and_marks_answered(desk, django_capture_on_commit_callbacks):
    case = _claimed(desk)
    with django_capture_on_commit_callbacks(execute=True):
        result = send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY,
                            idempotency_key="k1", base_version=case.version, now=timezone.now())
    assert result.created is True
    assert (result.case.status, result.case.version, result.case.answered_by_id) == (
        "dijawab", 3, desk.ani.user.pk)
    # The holder keeps the case after replying.
    assert result.case.claimed_by_id == desk.ani.user.pk
    out = Message.objects.get(case=case, direction="out")
    assert (out.text, out.sent_by_id, out.idempotency_key) == (REPLY, desk.ani.user.pk, "k1")
    assert out.delivery_status == "pending"
    # Delivery was queued for the worker only once the transaction committed. (The case's
    # offer task, written with the case when it arrived, is the roster's.)
    queued = DBTaskResult.objects.exclude(task_path="tanggap.roster.tasks.offer_case").get()
    assert (queued.task_path, queued.args_kwargs) == (
        "tanggap.connectors.tasks.deliver_message", {"args": [out.pk], "kwargs": {}})
    assert AuditEvent.objects.filter(case=case, action="case.replied").count() == 1


def test_same_idempotency_key_returns_first_message(desk):
    case = _claimed(desk)
    now = timezone.now()
    first = send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                       base_version=case.version, now=now)
    again = send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                       base_version=case.version, now=now)
    assert again.created is False
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_non_holder_cannot_reply(desk):
    case = _claimed(desk)
    with pytest.raises(NotHolder):
        send_reply(case_id=case.pk, actor=desk.budi.user, text=REPLY, idempotency_key="k1",
                   base_version=case.version, now=timezone.now())
    assert Message.objects.filter(case=case, direction="out").count() == 0


def test_unclaimed_case_cannot_be_replied(desk):
    case = desk.inbound().case
    with pytest.raises(NotHolder):
        send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                   base_version=case.version, now=timezone.now())


def test_stale_version_is_refused_and_names_the_change(desk):
    case = _claimed(desk)
    seen = case.version
    desk.inbound(text="Tambahan: lampunya juga berkedip", external_id="m2")
    with pytest.raises(StaleVersion) as refused:
        send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                   base_version=seen, now=timezone.now())
    assert refused.value.extra["version"] == seen + 1
    assert [c["action"] for c in refused.value.extra["changes"]] == ["case.citizen_wrote"]
    assert Message.objects.filter(case=case, direction="out").count() == 0


def test_answered_case_is_not_answered_again_by_another(desk):
    case = _claimed(desk)
    now = timezone.now()
    sent = send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                      base_version=case.version, now=now)
    release_case(case_id=case.pk, actor=desk.ani.user, now=now)
    reclaimed = claim_case(case_id=case.pk, actor=desk.budi.user, now=now)
    with pytest.raises(AlreadyAnswered) as refused:
        send_reply(case_id=case.pk, actor=desk.budi.user, text="Jawaban kedua", idempotency_key="k2",
                   base_version=reclaimed.version, now=now)
    assert refused.value.extra == {"answered_by": "ani"}
    assert Message.objects.filter(case=case, direction="out").count() == 1
    assert sent.case.answered_by_id == desk.ani.user.pk


def test_override_sends_second_answer_and_is_audited(desk):
    case = _claimed(desk)
    now = timezone.now()
    send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
               base_version=case.version, now=now)
    release_case(case_id=case.pk, actor=desk.ani.user, now=now)
    reclaimed = claim_case(case_id=case.pk, actor=desk.budi.user, now=now)
    result = send_reply(case_id=case.pk, actor=desk.budi.user, text="Koreksi: jadwal besok pagi.",
                        idempotency_key="k2", base_version=reclaimed.version, override=True, now=now)
    assert result.created is True
    event = AuditEvent.objects.filter(case=case, action="case.replied").last()
    assert (event.actor_id, event.after["override"]) == (desk.budi.user.pk, True)


def test_citizen_writing_again_allows_a_new_answer(desk):
    case = _claimed(desk)
    now = timezone.now()
    send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
               base_version=case.version, now=now)
    release_case(case_id=case.pk, actor=desk.ani.user, now=now)
    desk.inbound(text="Sampai sekarang masih mati min", external_id="m2",
                 now=now + timedelta(minutes=1))
    reclaimed = claim_case(case_id=case.pk, actor=desk.budi.user, now=now + timedelta(minutes=2))
    assert reclaimed.status == "diklaim"
    result = send_reply(case_id=case.pk, actor=desk.budi.user, text="Mohon maaf, kami cek lagi.",
                        idempotency_key="k2", base_version=reclaimed.version,
                        now=now + timedelta(minutes=3))
    assert result.created is True
    assert Message.objects.filter(case=case, direction="out").count() == 2


@pytest.mark.parametrize(
    ("text", "key", "version"),
    [("", "k", 2), ("   ", "k", 2), ("x" * 10_001, "k", 2), (None, "k", 2), ("ok", "", 2),
     ("ok", "k" * 101, 2), ("ok", "k", "2"), ("ok", "k", True)],
)
def test_invalid_reply_input_stores_nothing(desk, text, key, version):
    case = _claimed(desk)
    with pytest.raises(InvalidInput):
        send_reply(case_id=case.pk, actor=desk.ani.user, text=text, idempotency_key=key,
                   base_version=version, now=timezone.now())
    assert Message.objects.filter(case=case, direction="out").count() == 0
    assert AuditEvent.objects.filter(case=case, action="case.replied").count() == 0


def test_closed_case_refuses_reply(desk):
    from tanggap.cases.actions import set_case_status

    case = _claimed(desk)
    closed = set_case_status(case_id=case.pk, actor=desk.ani.user, status="selesai",
                             now=timezone.now())
    with pytest.raises(CaseClosed):
        send_reply(case_id=case.pk, actor=desk.ani.user, text=REPLY, idempotency_key="k1",
                   base_version=closed.version, now=timezone.now())
