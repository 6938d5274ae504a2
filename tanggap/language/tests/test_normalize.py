from tanggap.language import normalize


def spans(text):
    return [(t.text, t.base, t.norm, t.start, t.end, t.kind) for t in normalize(text)]


def test_every_token_keeps_its_span_in_the_original():
    text = "Jalan rusak parahhh min!!! g0bl0k bgt"
    assert spans(text) == [
        ("Jalan", "jalan", "jalan", 0, 5, "word"),
        ("rusak", "rusak", "rusak", 6, 11, "word"),
        ("parahhh", "parah", "parah", 12, 19, "word"),
        ("min", "min", "admin", 20, 23, "word"),
        ("!!!", "!", "!", 23, 26, "punct"),
        ("g0bl0k", "goblok", "bodoh", 27, 33, "word"),
        ("bgt", "bgt", "sangat", 34, 37, "word"),
    ]
    for token in normalize(text):
        assert text[token.start : token.end] == token.text


def test_elongation_prefers_a_real_word():
    assert [t.norm for t in normalize("maaaaf tolooong anjiiing bangettt")] == [
        "maaf", "tolong", "anjing", "sangat"]


def test_leetspeak_and_censoring_stars_are_undone_only_into_known_words():
    assert [t.base for t in normalize("4nj1ng b*ngsat s4mpah rt05")] == [
        "anjing", "bangsat", "sampah", "rt05"]


def test_slang_goes_to_formal_register_and_desk_words_are_known():
    assert [t.norm for t in normalize("gak ada yg peduli mimin")] == [
        "tidak", "ada", "yang", "peduli", "admin"]
    assert [t.norm for t in normalize("pju pdam ktp-el e-ktp")] == [
        "pju", "pdam", "ktp-el", "ktp-el"]


def test_desk_words_are_not_mangled_by_general_slang_lists():
    assert [t.norm for t in normalize("aspal asap sma pkl")] == ["aspal", "asap", "sma", "pkl"]


def test_capital_kk_is_a_family_card_and_lower_kk_is_kakak():
    assert [t.norm for t in normalize("KK kk")] == ["kk", "kakak"]


def test_expansion_shares_one_span_and_clitics_are_cut_from_known_words():
    assert spans("makasih lampunya") == [
        ("makasih", "makasih", "terima", 0, 7, "word"),
        ("makasih", "makasih", "kasih", 0, 7, "word"),
        ("lampunya", "lampu", "lampu", 8, 16, "word"),
    ]
    assert [t.norm for t in normalize("masalah sekolah")] == ["masalah", "sekolah"]


def test_reduplication_with_a_two_becomes_the_single_word():
    assert spans("lampu2") == [("lampu2", "lampu-lampu", "lampu", 0, 6, "word")]


def test_urls_mentions_hashtags_and_emoji_are_tokens_of_their_own():
    text = "@pemkot cek https://x.id/a #JalanRusak 😡🙏 :)"
    assert spans(text) == [
        ("@pemkot", "<mention>", "<mention>", 0, 7, "mention"),
        ("cek", "cek", "cek", 8, 11, "word"),
        ("https://x.id/a", "<url>", "<url>", 12, 26, "url"),
        ("#JalanRusak", "jalan", "jalan", 27, 38, "hashtag"),
        ("#JalanRusak", "rusak", "rusak", 27, 38, "hashtag"),
        ("😡", "😡", "😡", 39, 40, "emoji"),
        ("🙏", "🙏", "🙏", 40, 41, "emoji"),
        (":)", ":)", ":)", 42, 44, "emoji"),
    ]


def test_repeated_punctuation_is_one_token_with_one_mark_as_norm():
    assert spans("kapan??!") == [
        ("kapan", "kapan", "kapan", 0, 5, "word"),
        ("??!", "?", "?", 5, 8, "punct"),
    ]


def test_spaced_out_letters_become_one_word_only_when_they_spell_one():
    assert spans("a n j i n g lu") == [
        ("a n j i n g", "anjing", "anjing", 0, 11, "word"),
        ("lu", "lu", "kamu", 12, 14, "word"),
    ]
    assert [t.base for t in normalize("g.o.b.l.o.k t-o-l-o-l b a b 1")] == [
        "goblok", "tolol", "babi"]
    assert [t.text for t in normalize("Blok C 2 A")] == ["Blok", "C", "2", "A"]


def test_slang_keys_that_are_standard_words_keep_their_meaning():
    # Found by checking every slang key that is a root word of NLP_bahasa_resources.
    assert [t.norm for t in normalize("air luber togel spam teh malang")] == [
        "air", "meluap", "togel", "spam", "teh", "malang"]
    assert [t.norm for t in normalize("su ee apes dodol")] == ["su", "ee", "apes", "dodol"]


def test_the_spaced_run_search_finds_what_the_plain_pattern_finds():
    # _SPACED_ACROSS starts at the space for speed; it must agree with the plain reading: a
    # lone letter, a separator holding a space, a lone letter.
    import random
    import re

    plain = re.compile(r"(?<![^\W_])[^\W_](?: [ .*_-]?|[.*_-] )[^\W_](?![^\W_])")
    rng = random.Random(5)
    texts = ["a n j i n g", "g. o. b", "a  b", "a -b", "x-a b", "ab c", "RT 3 RW 5", "é _ b"]
    texts += ["".join(rng.choice("ab3 .*_-\t\né!?") for _ in range(rng.randint(1, 9)))
              for _ in range(20_000)]
    from tanggap.language.normalize import _SPACED_ACROSS

    found = [bool(_SPACED_ACROSS.search(text)) for text in texts]
    assert found == [bool(plain.search(text)) for text in texts]
    assert found[:8] == [True, True, True, True, True, False, False, False]
    assert 100 < sum(found) < 19_000  # both outcomes are exercised


def test_a_plain_chunk_gets_the_tokens_the_pattern_gives(monkeypatch):
    # _chunk_tokens skips the big pattern for a word (hyphenated or not) with one mark or a
    # run of "!?" after it: every chunk of up to four characters over an alphabet of letters,
    # digits and the marks that start other kinds of token must agree with the pattern.
    import importlib
    import itertools

    module = importlib.import_module("tanggap.language.normalize")

    def by_pattern(chunk):
        tokens = []
        module._tokenize(chunk, 0, len(chunk), tokens)
        return tuple(tokens)

    chunks = ["teman-teman.", "di-PHK,", "x-ray", "a-b-c", "3578-2024-0912.", "parah?!?",
              "www.", "www..", "bit.ly", "jalan,,", "①②", "lampu2!!"]
    chunks += ["".join(p) for n in range(1, 5)
               for p in itertools.product("aw1é-.,!?*'@_:#)", repeat=n)]
    expected = [by_pattern(chunk) for chunk in chunks]
    patterned = []
    tokenize = module._tokenize
    monkeypatch.setattr(module, "_tokenize", lambda text, *args: (
        patterned.append(text), tokenize(text, *args)))
    module._chunk_tokens.cache_clear()
    try:
        assert [module._chunk_tokens(chunk) for chunk in chunks] == expected
    finally:
        module._chunk_tokens.cache_clear()
    # Both ways are taken: the plain chunks without the pattern, the rest through it.
    assert [c in patterned for c in chunks[:12]] == [
        False, False, True, True, False, False, False, True, True, True, False, False]
    assert len(chunks) - len(patterned) == 859
