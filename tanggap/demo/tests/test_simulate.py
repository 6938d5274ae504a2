"""`tanggap simulate` and the Simulator under it: citizens only, platform-shaped, threaded."""

import random
import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tanggap.cases.models import Case, Direction, Message
from tanggap.connectors.models import ChannelAccount
from tanggap.demo.actions import DEMO_SLUG
from tanggap.demo.simulator import Simulator, run
from tanggap.workspaces.models import Workspace


@pytest.fixture
def demo(db):
    call_command("demo_setup", "--no-seed", stdout=StringIO())
    return Workspace.objects.get(slug=DEMO_SLUG)


def simulated(workspace):
    return list(ChannelAccount.objects.filter(workspace=workspace, simulated=True))


def simulate(*args) -> str:
    out = StringIO()
    call_command("simulate", "--interval", "0", *args, stdout=out)
    return out.getvalue()


def test_count_with_seed_posts_exactly_that_many_into_simulated_channels(demo):
    output = simulate("--count", "5", "--seed", "7")
    inbound = Message.objects.filter(direction=Direction.IN).select_related("channel")
    assert inbound.count() == 5
    assert {m.channel.simulated for m in inbound} == {True}
    assert {m.workspace_id for m in inbound} == {demo.pk}
    assert not Message.objects.filter(direction=Direction.OUT).exists()  # citizens only
    lines = [line for line in output.splitlines() if line[:1] in "→↪"]
    follow_ups = sum(line.startswith("↪") for line in lines)
    assert len(lines) == 5
    assert Case.objects.count() == 5 - follow_ups
    assert output.splitlines()[-1] == "Simulator stopped after 5 messages."


def test_refuses_without_the_demo_workspace(db):
    with pytest.raises(CommandError, match=r"no workspace 'balikpapan-demo'.*tanggap demo_setup"):
        simulate("--count", "1")
    assert not Message.objects.exists()


def test_refuses_a_workspace_without_simulated_channels(desk):
    # bpn's web channel is real; only its X channel is simulated in the personas fixture.
    ChannelAccount.objects.filter(simulated=True).update(is_active=False)
    with pytest.raises(CommandError, match="no active simulated channels"):
        simulate("--workspace", "bpn", "--count", "1")
    assert not Message.objects.exists()


def test_refuses_nonsense_options(demo):
    with pytest.raises(CommandError, match="--count must be at least 1"):
        simulate("--count", "0")


def test_follow_ups_join_their_thread(demo):
    simulator = Simulator(channels=simulated(demo), rng=random.Random(3), follow_up_rate=0.5)
    now = timezone.now()
    first_case = {}
    follow_ups = 0
    for i in range(40):
        posted = simulator.step(now=now + timedelta(seconds=i))
        key = (posted.channel.pk, posted.citizen.author_id, posted.result.case.thread_id)
        assert posted.result.created
        if posted.follow_up:
            follow_ups += 1
            assert posted.result.case.pk == first_case[key]
        first_case.setdefault(key, posted.result.case.pk)
    assert follow_ups >= 10
    assert Message.objects.filter(direction=Direction.IN).count() == 40
    assert Case.objects.count() == len(first_case)


def test_ids_have_their_platforms_shape(demo):
    simulator = Simulator(channels=simulated(demo), rng=random.Random(11), follow_up_rate=0.3)
    now = timezone.now()
    for i in range(60):
        simulator.step(now=now + timedelta(milliseconds=i * 1500))
    shapes = {
        "x": (r"\d{18,19}", r"\d{18,19}"),
        "facebook": (r"\d{15}_\d{16}_\d{17}", r"post:\d{15}_\d{16}"),
        "instagram": (r"179\d{17}", r"media:178\d{14}"),
        # WhatsApp is a conversation per citizen: no thread, the sender's number as their id.
        "whatsapp": (r"wamid\.HBgN\d{17}", r""),
    }
    seen = set()
    for message in Message.objects.select_related("channel", "case", "case__contact"):
        external, thread = shapes[message.channel.platform]
        assert re.fullmatch(external, message.external_id), message.external_id
        assert re.fullmatch(thread, message.case.thread_id), message.case.thread_id
        if message.channel.platform == "whatsapp":
            assert re.fullmatch(r"628\d{9,10}", message.case.contact.external_id)
        seen.add(message.channel.platform)
    assert seen == set(shapes)
    # On X a conversation is named by its first tweet.
    for case in Case.objects.filter(channel__platform="x"):
        assert case.messages.order_by("pk").first().external_id == case.thread_id


def test_same_seed_same_citizens_and_texts_but_new_messages(demo):
    now = timezone.now()
    runs = []
    for offset in (0, 60):
        simulator = Simulator(channels=simulated(demo), rng=random.Random(5))
        runs.append([simulator.step(now=now + timedelta(seconds=offset + i)) for i in range(4)])
    assert [p.text for p in runs[0]] == [p.text for p in runs[1]]
    # Ids carry the time, so a re-run is not swallowed as duplicates of the first.
    assert all(p.result.created for p in runs[1])
    assert Message.objects.count() == 8


def test_passes_the_kind_hint_to_new_cases(demo):
    simulator = Simulator(channels=simulated(demo), rng=random.Random(8), follow_up_rate=0)
    now = timezone.now()
    for i in range(10):
        posted = simulator.step(now=now + timedelta(seconds=i))
        assert posted.result.case.kind == posted.base.kind == posted.kind


def test_run_stops_on_the_event_and_survives_an_error(demo):
    simulator = Simulator(channels=simulated(demo), rng=random.Random(1))
    stop = threading.Event()
    stop.set()
    assert run(simulator, interval=0, stop=stop, clock=timezone.now) == 0

    errors = []
    clocks = iter([None, timezone.now(), timezone.now()])  # the first step gets a bad `now`
    posted = run(simulator, interval=0, stop=threading.Event(), clock=lambda: next(clocks),
                 count=2, on_error=errors.append)
    assert posted == 2 and len(errors) == 1
    assert Message.objects.count() == 2
