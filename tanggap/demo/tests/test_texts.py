"""The demo's texts: enough of them, every kind, the misplaced ones, and no template leaking."""

import random
from collections import Counter

from tanggap.cases.models import CaseKind
from tanggap.demo import texts


def test_base_texts_are_many_and_distinct():
    bodies = [base.text for base in texts.BASE_TEXTS]
    assert len(bodies) >= 150
    assert [body for body, n in Counter(bodies).items() if n > 1] == []


def test_every_kind_is_present_and_valid():
    kinds = {base.kind for base in texts.BASE_TEXTS}
    assert kinds == set(CaseKind.values)
    assert set(texts.FOLLOW_UPS) == set(CaseKind.values)


def test_misplaced_complaints_name_pln_and_pdam():
    owners = Counter(base.owner for base in texts.BASE_TEXTS if base.owner)
    assert set(owners) == {"PLN", "PDAM"}
    assert owners["PLN"] >= 5 and owners["PDAM"] >= 5
    assert all(base.kind == texts.ADUAN for base in texts.BASE_TEXTS if base.owner)


def test_the_odd_questions_a_city_desk_gets_are_there():
    bodies = " ".join(base.text for base in texts.BASE_TEXTS)
    assert "ayam tetangga" in bodies and "jemuran" in bodies
    assert "lolos tes masuk SD" in bodies


def test_every_topic_has_a_calm_reply():
    topics = {base.topic for base in texts.BASE_TEXTS}
    assert topics == set(texts.REPLIES)
    for reply in texts.REPLIES.values():
        # A desk never shouts at the public.
        assert reply != reply.upper() and "!" not in reply


def test_composed_messages_fill_every_place_and_fit_a_tweet():
    rng = random.Random(5)
    for _ in range(500):
        message = texts.compose(rng, limit=280, mention="@PemkotBPN")
        assert "{" not in message.text and "}" not in message.text
        assert message.text.startswith("@PemkotBPN ")
        assert len(message.text) <= 280


def test_the_stream_does_not_repeat_quickly():
    rng = random.Random(9)
    stream = [texts.compose(rng).text for _ in range(300)]
    assert len(set(stream)) >= 280


def test_a_seed_gives_the_same_stream():
    first = [texts.compose(random.Random(42)).text for _ in range(3)]
    again = [texts.compose(random.Random(42)).text for _ in range(3)]
    assert first == again


def test_follow_ups_fill_their_places():
    rng = random.Random(1)
    for kind in CaseKind.values:
        for _ in range(20):
            assert "{" not in texts.fill(texts.follow_up(kind, rng), rng)


def test_follow_ups_do_not_repeat_until_exhausted():
    rng = random.Random(2)
    said: set[str] = set()
    for _ in range(len(texts.FOLLOW_UPS[texts.ADUAN])):
        said.add(texts.follow_up(texts.ADUAN, rng, said=frozenset(said)))
    assert said == set(texts.FOLLOW_UPS[texts.ADUAN])
