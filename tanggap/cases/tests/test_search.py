"""Full-text search over cases (cases.search): what a search finds, what it refuses, and that the
index follows every write in the writer's own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tanggap.cases import actions, search
from tanggap.cases.models import Case, CaseSearch, CaseStatus
from tanggap.cases.queries import inbox_cases
from tanggap.errors import InvalidInput


def _found(desk, q, *, workspace=None, status=None):
    ws = workspace or desk.bpn
    return set(inbox_cases(workspace_ids=[ws.pk], now=timezone.now(), q=q, status=status)
               .values_list("pk", flat=True))


@pytest.fixture
def three(desk):
    now = timezone.now()
    lampu = desk.inbound("Min, lampu PJU di Jl. Sudirman gak nyala sejak kemarin", external_id="a",
                         author_id="w-lampu", now=now).case
    air = actions.ingest_inbound(channel=desk.web, external_id="b", author_id="w-air",
                                 author_name="Ibu Ñoño Café", text="Air PDAM keruh di Klandasan",
                                 now=now).case
    other = actions.ingest_inbound(channel=desk.dlh_web, external_id="c", author_id="w-dlh",
                                   author_name="Warga DLH", text="Lampu taman mati", now=now).case
    return lampu, air, other


def test_words_prefixes_and_every_word(desk, three):
    lampu, air, _other = three
    assert _found(desk, "lampu") == {lampu.pk}
    assert _found(desk, "lamp sudir") == {lampu.pk}
    assert _found(desk, "lampu klandasan") == set()  # every word must occur in one case
    assert _found(desk, "KERUH") == {air.pk}


def test_slang_spellings_match_the_formal_word_both_ways(desk, three):
    lampu, _air, _other = three
    # The citizen wrote "gak" and "Jl."; the language engine reads them as tidak and jalan.
    assert _found(desk, "tidak nyala") == {lampu.pk}
    assert _found(desk, "nggak") == {lampu.pk}
    assert _found(desk, "jalan sudirman") == {lampu.pk}


def test_accents_and_case_do_not_matter_names_and_handles_are_searched(desk, three):
    _lampu, air, _other = three
    assert _found(desk, "nono cafe") == {air.pk}
    assert _found(desk, "ÑOÑO") == {air.pk}
    assert _found(desk, "w-air") == {air.pk}  # the contact's handle on its platform


def test_a_tracking_number_finds_its_case_however_it_is_typed(desk, three):
    lampu, _air, _other = three
    number = lampu.tracking_number  # TG-XXXX-XXXX-XXXX
    assert _found(desk, number) == {lampu.pk}
    assert _found(desk, number.lower().replace("-", " ")) == {lampu.pk}
    assert _found(desk, number.replace("-", "")) == {lampu.pk}
    assert _found(desk, number[:7]) == {lampu.pk}  # its start: "TG-ABCD"


def test_search_stays_inside_the_workspaces_given(desk, three):
    _lampu, _air, other = three
    assert other.pk not in _found(desk, "lampu")
    assert _found(desk, "lampu taman", workspace=desk.dlh) == {other.pk}


def test_replies_and_notes_are_searched_and_closed_cases_found(desk, three):
    lampu, air, _other = three
    now = timezone.now()
    actions.add_note(case_id=air.pk, actor=desk.ani.user, text="Sudah telepon UPTD Manggar",
                     now=now)
    actions.claim_case(case_id=lampu.pk, actor=desk.ani.user, now=now)
    actions.send_reply(case_id=lampu.pk, actor=desk.ani.user, idempotency_key="k1",
                       base_version=Case.objects.get(pk=lampu.pk).version, now=now,
                       text="Terima kasih, Bapak. Laporan kami teruskan ke Dishub.")
    actions.set_case_status(case_id=lampu.pk, actor=desk.ani.user, status="selesai", now=now)
    assert _found(desk, "manggar") == {air.pk}
    assert _found(desk, "dishub") == {lampu.pk}  # closed, and found: every status by default
    assert _found(desk, "dishub", status="open") == set()
    assert _found(desk, "dishub", status=CaseStatus.SELESAI) == {lampu.pk}


def test_a_follow_up_message_and_a_rename_update_the_document(desk, three):
    lampu, _air, _other = three
    later = timezone.now() + timedelta(minutes=1)
    actions.ingest_inbound(channel=desk.web, external_id="a2", author_id="w-lampu",
                           author_name="Pak Darmawan", text="Masih padam sampai malam",
                           now=later)
    assert _found(desk, "padam") == {lampu.pk}
    assert _found(desk, "darmawan") == {lampu.pk}
    assert _found(desk, "lampu darmawan") == {lampu.pk}


def test_the_index_is_written_in_the_writer_transaction(desk):
    """A write that rolls back leaves nothing findable: the document and the index move with it."""
    with pytest.raises(RuntimeError), transaction.atomic():
        desk.inbound("Pohon tumbang di Jl. Jenderal Sudirman", external_id="rb")
        assert _found(desk, "tumbang")
        raise RuntimeError("roll back")
    assert _found(desk, "tumbang") == set()
    assert not CaseSearch.objects.exists()


def test_the_inbound_writes_the_document_a_rebuild_from_the_rows_writes(desk, three):
    """The inbound reads the text's words before its transaction and joins them to the name's,
    handle's and tracking number's inside it: the same words, in the same order, as the
    document rebuilt from the rows (a new case and a follow-up of the same author)."""
    lampu, air, _other = three
    actions.ingest_inbound(channel=desk.web, external_id="b2", author_id="w-air",
                           author_name="Ibu Ñoño Café", text="Masih keruh, gak bisa dipakai",
                           now=timezone.now() + timedelta(minutes=1))
    written = dict(CaseSearch.objects.values_list("case_id", "words"))
    assert "tidak" in written[air.pk].split() and "nono" in written[air.pk].split()
    assert search.reindex_cases([lampu.pk, air.pk]) == 2
    assert dict(CaseSearch.objects.values_list("case_id", "words")) == written


def test_reindex_rebuilds_from_the_rows(desk, three):
    """What an erasure calls after it rewrote messages: the old words are gone from the index."""
    lampu, _air, _other = three
    lampu.messages.update(text="[dihapus]")
    assert _found(desk, "sudirman") == {lampu.pk}
    assert search.reindex_cases([lampu.pk]) == 1
    assert _found(desk, "sudirman") == set()
    assert _found(desk, "dihapus") == {lampu.pk}


@pytest.mark.parametrize("q", ["", "   ", "!!! ???", "a", "x" * 201,
                               " ".join(f"kata{i}" for i in range(9))])
def test_a_query_with_nothing_to_search_or_too_much_is_refused(desk, three, q):
    if not q.strip():
        # Blank is "no search": the open inbox.
        assert _found(desk, q, status="open") == {three[0].pk, three[1].pk}
        return
    with pytest.raises(InvalidInput) as refused:
        _found(desk, q)
    assert refused.value.extra == {"field": "q"}


def test_query_syntax_of_the_engine_is_just_words(desk, three):
    lampu, _air, _other = three
    # FTS5 and tsquery operators typed by a user are words, never syntax (no error, no injection).
    for q in ['lampu OR air', 'words:lampu', '"lampu', "lampu & air", "lampu:*", "NEAR(lampu)",
              "lampu' OR 1=1 --"]:
        found = _found(desk, q)
        assert found <= {lampu.pk}, q


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram fallback is PostgreSQL's")
def test_postgres_falls_back_to_trigrams_for_a_misspelt_word(desk, three):
    lampu, _air, _other = three
    assert _found(desk, "sudirmn") == {lampu.pk}


def test_the_command_rebuilds_documents_of_cases_loaded_around_the_actions(desk, three):
    from django.core.management import call_command

    from tanggap.cases.models import Message

    lampu, _air, _other = three
    CaseSearch.objects.all().delete()  # as after a bulk import: rows without documents
    Message.objects.filter(case=lampu).update(text="Tiang listrik miring di Gunung Pasir")
    assert _found(desk, "tiang") == set()
    call_command("search", "rebuild", "--workspace", "bpn")
    assert _found(desk, "tiang miring") == {lampu.pk}
    assert CaseSearch.objects.count() == 2  # bpn's two cases; dlh's was not asked for
    call_command("search", "rebuild")
    assert CaseSearch.objects.count() == 3
    from io import StringIO

    out = StringIO()
    call_command("search", "find", "bpn", "tiang", stdout=out)
    assert out.getvalue().split() == [lampu.tracking_number]


def test_broad_and_narrow_queries_find_the_same_cases_in_the_same_order(desk, three,
                                                                       monkeypatch):
    """A query with many matches walks the inbox's index instead of sorting the matches
    (search.BROAD_MATCHES); both plans answer alike, the newest citizen message first."""
    lampu, air, other = three
    later = desk.inbound("Lampu taman Bekapai juga mati", external_id="d", author_id="w-d",
                         now=timezone.now() + timedelta(minutes=5)).case

    def ordered(q):
        return list(inbox_cases(workspace_ids=[desk.bpn.pk], now=timezone.now(), q=q)
                    .values_list("pk", flat=True))

    narrow = {q: ordered(q) for q in ("lampu", "lamp mati", "keruh", "xylofon")}
    monkeypatch.setattr(search, "BROAD_MATCHES", 1)
    broad = {q: ordered(q) for q in narrow}
    assert broad == narrow == {"lampu": [later.pk, lampu.pk], "lamp mati": [later.pk],
                               "keruh": [air.pk], "xylofon": []}
    assert other.pk not in broad["lampu"]


@pytest.mark.parametrize("text", [
    "Min, lampu PJU di Jl. Sudirman gak nyala sejak kemarin",
    "Ibu Ñoño Café: AIR pdam KERUH!!! makasih @pdam_bpp #AirBersih",
    "dasar a n j i n g, g.o.b.l.o.k semua",  # spelled-out runs that cross a space
    "lampu2 mati, tg-abcd-efgh-jkmn, https://contoh.id/x, 081234 :)",
    "  spasi\tberlebih\n\nbaris baru  ",
])
def test_a_texts_words_are_those_of_the_folded_text_read_whole(text):
    """The document's words come chunk by chunk (each chunk's computed once); they equal the
    words of the folded text read whole by the language engine, in the same order."""
    whole = [word for token in search.language.normalize(search.fold(text))
             for form in search._token_forms(token) for word in form]
    assert search.document_words(text) == " ".join(whole)
    assert search.document_words(text) == search.document_words(text)  # from the cache
