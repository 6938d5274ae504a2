"""API tokens: revoked at once (every token of a user, or one), their last use noted rarely."""

from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from tanggap.audit.models import AuditEvent
from tanggap.workspaces.access import token_bearer
from tanggap.workspaces.actions.tokens import create_token
from tanggap.workspaces.models import ApiToken
from tanggap.workspaces.tests.helpers import command


def _ok(persona, token=None):
    response = persona.client.get("/api/v1/cases",
                                  HTTP_AUTHORIZATION=f"Bearer {token or persona.token}")
    return response.status_code


def test_token_revoke_stops_every_token_of_the_user_at_once(desk):
    second = create_token(user=desk.ani.user, now=timezone.now())
    assert (_ok(desk.ani), _ok(desk.ani, second), _ok(desk.budi)) == (200, 200, 200)
    out = command("token", "revoke", "ani")
    assert out.startswith("revoked 2 token(s) of ani: tg_")
    assert (_ok(desk.ani), _ok(desk.ani, second), _ok(desk.budi)) == (401, 401, 200)
    assert ApiToken.objects.filter(user=desk.ani.user).count() == 0
    event = AuditEvent.objects.get(action="token.revoked")
    assert (event.workspace_id, event.actor, event.after["username"]) == (desk.bpn.pk, None, "ani")
    assert sorted(event.after["prefixes"]) == sorted([desk.ani.token[:10], second[:10]])
    assert command("token", "revoke", "ani") == "ani has no API token; nothing revoked\n"


def test_token_revoke_by_prefix_stops_only_that_token(desk):
    second = create_token(user=desk.ani.user, now=timezone.now())
    command("token", "revoke", "ani", "--prefix", second[:10])
    assert (_ok(desk.ani), _ok(desk.ani, second)) == (200, 401)


def test_token_revoke_refuses_bad_input_and_changes_nothing(desk):
    before = ApiToken.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError, match="no user 'nobody'"):
        command("token", "revoke", "nobody")
    with pytest.raises(CommandError, match="tg_zzzzzzz"):
        command("token", "revoke", "ani", "--prefix", "tg_zzzzzzz")
    with pytest.raises(CommandError):
        command("token", "revoke", "ani", "--prefix", "tg")
    assert (ApiToken.objects.count(), AuditEvent.objects.count()) == before


def test_token_check_is_one_query(desk, django_assert_num_queries):
    with django_assert_num_queries(1):
        token = token_bearer(desk.ani.token)
    assert token.user == desk.ani.user and not token.machine
    assert token_bearer(desk.gerbang.token).machine
    with django_assert_num_queries(1):
        assert token_bearer("tg_not-a-token") is None


def test_last_use_is_written_at_most_once_a_minute(desk, django_assert_num_queries):
    token = ApiToken.objects.get(user=desk.budi.user)
    assert token.last_used_at is None
    _ok(desk.budi)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=30)
    # Within the minute: no write, only the token, the workspaces and the (empty) page of cases.
    with django_assert_num_queries(3):
        desk.budi.get("/api/v1/cases")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    # Older than a minute: noted again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    _ok(desk.budi)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - timedelta(seconds=1)


def test_a_deactivated_users_token_answers_401(desk):
    command("user", "deactivate", "budi")
    assert _ok(desk.budi) == 401
