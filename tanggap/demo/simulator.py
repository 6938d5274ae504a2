"""The demo's citizens: posts realistic messages into simulated channels, as their platforms would.

Every message goes in through `cases.actions.ingest_inbound`, exactly as a webhook would deliver
it, with platform-shaped ids (tweet snowflakes, Facebook `<page>_<post>_<comment>` comment ids,
Instagram numeric ids) so threading and de-duplication behave as in production. Sometimes a
citizen writes again on the same thread, which shows a follow-up joining its open case.

It only ever plays the public. It must never answer, claim or otherwise act as an operator, and it
never touches a channel that is not `simulated` (or the built-in web form when asked to). The
bodies' side of referrals is played by tanggap.demo.liaison, which `run` can step beside it.
"""

from __future__ import annotations

import random
import threading
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from tanggap.cases.actions import InboundResult, ingest_inbound
from tanggap.connectors.models import ChannelAccount, Platform
from tanggap.demo import texts
from tanggap.demo.texts import BaseText

FIRST_NAMES = (
    "Rina", "Ahmad", "Siti", "Rizky", "Nur", "Andi", "Dewi", "Budi", "Fitri", "Agus", "Yuni",
    "Hendra", "Wulan", "Irfan", "Sri", "Eko", "Mega", "Rahmat", "Lina", "Fadli", "Nanda",
    "Syahrul", "Ayu", "Gusti", "Putri", "Yohanes", "Maria", "Bayu", "Intan", "Daeng",
)
LAST_NAMES = (
    "Saputra", "Rahmawati", "Hidayat", "Pratama", "Wijaya", "Nugroho", "Syahrani", "Kurniawan",
    "Maulana", "Fitriani", "Ramadhan", "Setiawan", "Handayani", "Siregar", "Pasaribu", "Lubis",
    "Tanjung", "Mahmud", "Arifin", "Anggraini", "Sitorus", "Noor", "Rahman", "Lestari",
)

# Twitter's snowflake epoch (2010-11-04T01:42:54.657Z): tweet ids are milliseconds since it,
# shifted left 22 bits, so ids sort by time as real ones do.
_TWITTER_EPOCH_MS = 1288834974657
_CONTACTS_PER_CHANNEL = 40
_POSTS_PER_CHANNEL = 4
_LIMITS = {Platform.X: 280}
_DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class Citizen:
    author_id: str
    name: str


@dataclass
class _Conversation:
    channel: ChannelAccount
    citizen: Citizen
    thread_id: str
    kind: str
    said: set[str] = field(default_factory=set)  # follow-up templates used on this thread


@dataclass(frozen=True)
class Posted:
    """One message the simulator delivered, and what it meant to deliver."""

    channel: ChannelAccount
    citizen: Citizen
    text: str
    kind: str
    base: BaseText | None  # None for a follow-up
    follow_up: bool
    result: InboundResult


def _ms(now: datetime) -> int:
    return int(now.timestamp() * 1000)


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randrange(10 ** (n - 1), 10**n))


class Simulator:
    """Deterministic for a given `rng` and sequence of `now`s; holds no database state of its own.

    Ids mix `now` in, so running again with the same seed later posts new messages instead of
    being swallowed by the platform-id de-duplication.
    """

    def __init__(
        self, *, channels: Iterable[ChannelAccount], rng: random.Random,
        follow_up_rate: float = 0.25, memory: int = 20, hint_rate: float = 1.0,
    ) -> None:
        self.channels = sorted(channels, key=lambda channel: channel.pk)
        if not self.channels:
            raise ValueError("the simulator needs at least one channel")
        self.rng = rng
        self.follow_up_rate = follow_up_rate
        # How often a new message carries its kind; below 1.0 the rest arrive as `lainnya`,
        # as from a platform that cannot classify, and wait for an operator's triage.
        self.hint_rate = hint_rate
        self.recent: deque[_Conversation] = deque(maxlen=memory)
        # Drawn up front, in channel order, so a seed yields the same citizens and posts.
        self.citizens = {c.pk: self._citizens(c) for c in self.channels}
        self.posts = {c.pk: [self._post_id(c) for _ in range(_POSTS_PER_CHANNEL)]
                      for c in self.channels}

    # --- the platforms' shapes -----------------------------------------------------------------

    def _citizens(self, channel: ChannelAccount) -> list[Citizen]:
        people = []
        for _ in range(_CONTACTS_PER_CHANNEL):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if channel.platform == Platform.X:
                # Old accounts have short numeric ids, new ones 19-digit snowflakes.
                author_id = _digits(self.rng, self.rng.choice((9, 10, 19)))
                name = f"{first} {last}" if self.rng.random() < 0.6 else f"{first.lower()}_bpn"
            elif channel.platform == Platform.FACEBOOK:
                author_id = _digits(self.rng, 16)  # a page-scoped user id
                name = f"{first} {last}"
            elif channel.platform == Platform.INSTAGRAM:
                author_id = _digits(self.rng, 17)  # an Instagram-scoped user id
                name = f"{first.lower()}.{last.lower()}{self.rng.choice(('', '_', '88', '.bpn'))}"
            elif channel.platform == Platform.WHATSAPP:
                # WhatsApp's id is the citizen's number (wa_id); the name is their profile name.
                author_id = "628" + _digits(self.rng, self.rng.choice((9, 10)))
                name = f"{first} {last}" if self.rng.random() < 0.8 else first
            else:
                author_id = f"web-{self.rng.getrandbits(48):012x}"
                name = f"{first} {last}"
            people.append(Citizen(author_id, name))
        return people

    def _page_id(self, channel: ChannelAccount) -> str:
        # Stable per channel, 15 digits like a Page id.
        return f"10{zlib.crc32(channel.handle.encode()):013d}"

    def _post_id(self, channel: ChannelAccount) -> str:
        """The thread of comments under one of the city's posts, named as the platforms' parsers
        name it (connectors.platforms.base), so the desk can hide a comment in it."""
        if channel.platform == Platform.FACEBOOK:
            return f"post:{self._page_id(channel)}_{_digits(self.rng, 16)}"
        if channel.platform == Platform.INSTAGRAM:
            return "media:178" + _digits(self.rng, 14)  # a media id
        return ""

    def _message_id(self, channel: ChannelAccount, thread_id: str, now: datetime) -> str:
        if channel.platform == Platform.X:
            return str(((_ms(now) - _TWITTER_EPOCH_MS) << 22) | self.rng.getrandbits(22))
        stamp = f"{_ms(now)}{_digits(self.rng, 4)}"
        if channel.platform == Platform.FACEBOOK:
            return f"{thread_id.removeprefix('post:')}_{stamp}"  # <page>_<post>_<comment>
        if channel.platform == Platform.INSTAGRAM:
            return "179" + stamp
        if channel.platform == Platform.WHATSAPP:
            return f"wamid.HBgN{stamp}"  # WhatsApp's message ids start so
        return f"web-{stamp}"

    def _mention(self, channel: ChannelAccount) -> str:
        # Citizens tag the account on X; the demo channel is named after the real handle.
        if channel.platform != Platform.X:
            return ""
        return channel.name if channel.name.startswith("@") else f"@{channel.handle}"

    # --- one message -----------------------------------------------------------------------------

    def step(self, *, now: datetime) -> Posted:
        """Post one citizen message at `now`: a follow-up on a recent thread, or a new one."""
        if self.recent and self.rng.random() < self.follow_up_rate:
            return self._follow_up(now)
        return self._new(now)

    def _new(self, now: datetime) -> Posted:
        channel = self.rng.choice(self.channels)
        citizen = self.rng.choice(self.citizens[channel.pk])
        limit = _LIMITS.get(channel.platform, _DEFAULT_LIMIT)
        composed = texts.compose(self.rng, limit=limit, mention=self._mention(channel))
        if channel.platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
            thread_id = self.rng.choice(self.posts[channel.pk])
            external_id = self._message_id(channel, thread_id, now)
        else:
            external_id = self._message_id(channel, "", now)
            # On X a new tweet starts its own conversation; the web form has no threads.
            thread_id = external_id if channel.platform == Platform.X else ""
        hint = composed.base.kind if self.rng.random() < self.hint_rate else None
        result = self._post(channel, citizen, external_id, thread_id, composed.text, hint, now)
        self.recent.append(_Conversation(channel, citizen, thread_id, composed.base.kind))
        return Posted(channel, citizen, composed.text, composed.base.kind, composed.base, False,
                      result)

    def abusive_comment(self, channel: ChannelAccount, *, now: datetime) -> Posted:
        """A rant under one of the city's posts (Facebook, Instagram): the demo's visitor can
        answer it well and hide it on the platform."""
        base = self.rng.choice([b for b in texts.BASE_TEXTS if b.topic == "kasar"])
        text = texts.fill(base.text, self.rng)
        citizen = self.rng.choice(self.citizens[channel.pk])
        thread_id = self.rng.choice(self.posts[channel.pk])
        external_id = self._message_id(channel, thread_id, now)
        result = self._post(channel, citizen, external_id, thread_id, text, base.kind, now)
        return Posted(channel, citizen, text, base.kind, base, False, result)

    def _follow_up(self, now: datetime) -> Posted:
        conversation = self.rng.choice(self.recent)
        channel = conversation.channel
        template = texts.follow_up(conversation.kind, self.rng, said=frozenset(conversation.said))
        conversation.said.add(template)
        text = texts.fill(template, self.rng)
        mention = self._mention(channel)
        if mention:
            text = f"{mention} {text}"
        external_id = self._message_id(channel, conversation.thread_id, now)
        result = self._post(channel, conversation.citizen, external_id, conversation.thread_id,
                            text, conversation.kind, now)
        return Posted(channel, conversation.citizen, text, conversation.kind, None, True, result)

    def _post(self, channel, citizen: Citizen, external_id: str, thread_id: str, text: str,
              kind: str | None, now: datetime) -> InboundResult:
        return ingest_inbound(
            channel=channel, external_id=external_id, author_id=citizen.author_id,
            author_name=citizen.name, text=text, thread_id=thread_id, kind=kind, now=now,
            platform_created_at=now,
        )


def run(
    simulator: Simulator, *, interval: float, stop: threading.Event,
    clock: Callable[[], datetime], count: int | None = None,
    on_post: Callable[[Posted], None] = lambda posted: None,
    on_error: Callable[[Exception], None] | None = None,
    also: Callable[[datetime], object] | None = None,
) -> int:
    """Post until `stop` is set or `count` messages are out; return how many were posted.
    `also(now)` runs after each message with the same time (the simulated liaison's turn).

    Waiting on the event (not time.sleep) lets SIGTERM or Ctrl-C end a long interval at once.
    """
    posted = 0
    while not stop.is_set() and (count is None or posted < count):
        now = clock()  # once per message: the action gets one consistent time
        try:
            on_post(simulator.step(now=now))
        except Exception as exc:
            if on_error is None:
                raise
            on_error(exc)
        else:
            posted += 1
        if also is not None:
            try:
                also(now)
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(exc)
        if count is not None and posted >= count:
            break
        stop.wait(interval)
    return posted
