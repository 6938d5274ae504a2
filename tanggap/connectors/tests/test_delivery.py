from django.utils import timezone

from tanggap.cases.actions import claim_case, send_reply
from tanggap.cases.models import Message
from tanggap.connectors.crypto import decrypt_secret
from tanggap.connectors.delivery import deliver_message_now
from tanggap.connectors.tasks import deliver_message
from tanggap.connectors.testing.fakes import add_proven_channel, legacy_channel


def _reply_on(desk, channel):
    now = timezone.now()
    case = desk.inbound(channel=channel, external_id=f"in-{channel.pk}").case
    case = claim_case(case_id=case.pk, actor=desk.ani.user, now=now)
    return send_reply(case_id=case.pk, actor=desk.ani.user, text="Terima kasih, kami tindak lanjuti.",
                      idempotency_key="k", base_version=case.version, now=now).message


def test_web_reply_is_delivered_once(desk):
    message = _reply_on(desk, desk.web)
    outcome = deliver_message_now(message_id=message.pk, now=timezone.now())
    assert (outcome.status, outcome.external_id) == ("sent", f"local-{message.pk}")
    # A second run (a retried task) finds nothing pending and does nothing.
    assert deliver_message_now(message_id=message.pk, now=timezone.now()) is None
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"


def test_platform_account_without_credentials_fails_visibly(desk):
    now = timezone.now()
    # Connected before proofs existed, without a token.
    facebook = legacy_channel(workspace=desk.bpn, platform="facebook", handle="1234567890",
                              now=now)
    message = _reply_on(desk, facebook)
    outcome = deliver_message_now(message_id=message.pk, now=now)
    assert outcome.status == "failed"
    stored = Message.objects.get(pk=message.pk)
    assert stored.delivery_status == "failed"
    assert stored.delivery_error == (
        "no_credentials: the Facebook account 1234567890 has no access token; connect it "
        "(docs/platforms.md), then send again")


def test_task_runs_delivery(desk):
    message = _reply_on(desk, desk.x)  # the demo X channel is simulated
    assert deliver_message.call(message.pk) == "sent"


def test_credentials_are_encrypted_at_rest(desk):
    channel = add_proven_channel(workspace=desk.bpn, platform="whatsapp", handle="10987654321",
                          token="EAAG-rahasia-token", now=timezone.now())
    assert "rahasia" not in channel.credentials_encrypted
    assert decrypt_secret(channel.credentials_encrypted) == "EAAG-rahasia-token"
