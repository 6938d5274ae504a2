"""Full-text search over cases: the citizen's and the desk's messages, internal notes, the
contact's name and handle, and the tracking number.

One search document per case (`CaseSearch`): the words of everything above, folded (case and
accents) and normalised the way the language engine reads Indonesian (`gak` is also indexed as
`tidak`, `jl` as `jalan`, `makasih` as `terima kasih`), so a search for either spelling finds
both. A query is read the same way and every word is a prefix (`lamp sudir` finds "lampu di
Jl. Sudirman"); all words must occur somewhere in the case.

- SQLite (the embedded default): an FTS5 table kept by triggers on `cases_casesearch`
  (migration 0009), so the index changes in the transaction that changes the document; without
  indexes of its own for two- and three-letter prefixes (0015: they cost every write more than
  they saved the few queries of such words).
- PostgreSQL: a stored `tsvector` of the same words with a GIN index, and a pg_trgm index for a
  trigram fallback when the full-text query finds nothing (a misspelt name: "sudirmn").

The documents are written only by the functions here, and only from inside the transactions of
`cases.actions` (and any room that rewrites those rows, such as an anonymisation): a new case,
each message and note appends its words; a change to words already indexed (a contact renamed,
text fetched late, personal data erased) rebuilds the case's document with `reindex_cases`.
Never from a signal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from tanggap import language
from tanggap.conf import statements
from tanggap.errors import InvalidInput
from tanggap.language.normalize import split_chunks

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 8
# A one-letter prefix matches nearly every case; the shortest prefix searched is two characters.
MIN_PREFIX_CHARS = 2
FTS_TABLE = "cases_search_fts"

# A tracking number, TG-ABCD-EFGH-JKMN (or an older TG-ABCD-EFGH), is indexed as one word
# without its dashes; a query that is one (or the start of one: "tg-abcd", "TG ABCD EFGH") in
# any case, with dashes, spaces or none, looks that word up.
_TRACKING_TOKEN = re.compile(r"tg-?[0-9a-z]{4}(?:-?[0-9a-z]{4}){1,2}")
_TRACKING_QUERY = re.compile(r"tg[0-9a-z]{4,12}")
_SEPARATORS = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents: "Café ÑOÑO" -> "cafe nono"."""
    if text.isascii():
        # Most citizens' texts: nothing to decompose, and ASCII's casefold is its lower().
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _plain(word: str) -> list[str]:
    """The index's words of one token: letters and digits only (what both FTS5's unicode61
    tokenizer and PostgreSQL's `simple` parser keep as one word)."""
    return [part for part in _SEPARATORS.split(word) if part]


def _token_forms(token) -> list[list[str]]:
    """Each spelling of one token (as written, repaired, formal), each as its plain words."""
    if token.kind in ("mention", "hashtag"):
        return [_plain(token.text[1:])]
    if token.kind not in ("word", "number"):
        return []
    forms = []
    compact = _SEPARATORS.sub("", token.text)
    if _TRACKING_TOKEN.fullmatch(token.text):
        forms.append([compact])
    for spelling in (token.text, token.base, token.norm):
        words = _plain(spelling)
        if words and words not in forms:
            forms.append(words)
    return forms


def document_words(*texts: str) -> str:
    """The words a search document holds for these texts (space-separated, every spelling)."""
    words: list[str] = []
    for text in texts:
        if not text:
            continue
        folded = fold(text)
        chunks = split_chunks(folded)
        if chunks is None:  # a spelled-out run crosses a space: the text is read whole
            words.extend(_words_of(language.normalize(folded)))
        else:
            for chunk in chunks:
                words.extend(_chunk_words(chunk))
    return " ".join(words)


def _words_of(tokens) -> list[str]:
    return [word for token in tokens for form in _token_forms(token) for word in form]


@lru_cache(maxsize=1 << 16)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    # The language engine reads each space-separated chunk on its own (split_chunks), so a
    # text's words are its chunks' words one after the other, and a chunk's are computed once:
    # citizens repeat their words, and every message was otherwise read a second time here
    # after the triage read it (8 % of an inbound's CPU). The triage's own tokens cannot be
    # taken instead: it reads the text as written, the index reads it folded.
    return tuple(_words_of(language.normalize(chunk)))


def case_document(*, name: str, handle: str, tracking_number: str, texts) -> str:
    return document_words(name, handle, tracking_number, *texts)


# ---------------------------------------------------------------------------------------------
# Writing documents (inside the caller's transaction)


def index_new_case(case, contact, text: str, *, text_words: str | None = None) -> None:
    """`text_words`: `document_words(text)` if the caller read it already, outside its write
    transaction (the inbound does, so the writers' lock is not held while the text is read)."""
    from tanggap.cases.models import CaseSearch

    if text_words is None:
        text_words = document_words(text)
    # The same words as case_document(...): document_words is the words of each text in turn.
    head = document_words(contact.display_name, contact.external_id, case.tracking_number)
    # On every new case: the precompiled INSERT (tanggap.conf.statements), not the ORM's, and
    # no instance of a row nobody reads here.
    statements.insert_values(CaseSearch, {
        "case_id": case.pk, "workspace_id": case.workspace_id,
        "words": " ".join(part for part in (head, text_words) if part)})


@cache
def _append_sql(vendor: str) -> str:
    from tanggap.cases.models import CaseSearch

    words = statements.column(CaseSearch, "words")
    return (f"UPDATE {statements.table(CaseSearch)} SET {words} = {words} || %s"
            f" WHERE {statements.column(CaseSearch, 'case')} = %s")


def add_text(case_id: int, text: str, *, words: str | None = None) -> None:
    """Append the words of a new message or note to the case's document (`words`: its
    `document_words(text)`, if the caller read them already)."""
    if words is None:
        words = document_words(text)
    if not words:
        return
    # On every follow-up: one UPDATE written once (the ORM's Concat was rebuilt per call).
    if not statements.execute(_append_sql(connection.vendor), [" " + words, case_id]):
        # A case from before the index: build its document whole.
        reindex_cases([case_id])


def reindex_cases(case_ids) -> int:
    """Rebuild the documents of these cases from their rows (after words already indexed
    changed: a rename, a late text, an erasure). Call it inside the transaction that changed
    them. Returns how many documents were written."""
    ids = sorted(set(case_ids))
    return _write_documents(ids) if ids else 0


def rebuild(*, workspace_id: int | None = None, batch: int = 1000, progress=None) -> int:
    """Write the document of every case (of one workspace, or all) from its rows, in batches of
    `batch` cases, each batch in its own transaction: for cases loaded around the actions (a
    restore from an older desk, a bulk import, a benchmark's seed). `tanggap search rebuild`
    runs it. Returns how many documents were written."""
    from django.db import transaction

    from tanggap.cases.models import Case

    ids = Case.objects.order_by("pk")
    if workspace_id is not None:
        ids = ids.filter(workspace_id=workspace_id)
    ids = list(ids.values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), batch):
        with transaction.atomic():
            written += _write_documents(ids[start:start + batch])
        if progress is not None:
            progress(written, len(ids))
    return written


def _write_documents(ids: list[int]) -> int:
    from tanggap.cases.models import Case, CaseSearch, Message, Note

    texts: dict[int, list[str]] = {pk: [] for pk in ids}
    for model in (Message, Note):
        for case_id, text in (model.objects.filter(case_id__in=ids).order_by("case_id", "id")
                              .values_list("case_id", "text")):
            texts[case_id].append(text)
    documents = [
        CaseSearch(case_id=pk, workspace_id=workspace_id,
                   words=case_document(name=name, handle=handle, tracking_number=tracking,
                                       texts=texts[pk]))
        for pk, workspace_id, tracking, name, handle in Case.objects.filter(pk__in=ids)
        .values_list("pk", "workspace_id", "tracking_number", "contact__display_name",
                     "contact__external_id")]
    # Replaced whole: the delete and the insert go through the FTS5 triggers on SQLite.
    CaseSearch.objects.filter(pk__in=ids).delete()
    CaseSearch.objects.bulk_create(documents)
    return len(documents)


def forget_removed_words() -> None:
    """Make words removed from documents unrecoverable from the index (after an erasure or a
    retention run, in that transaction or right after it). FTS5 only marks a deleted document's
    words as deleted; they stay in the index's segments (`cases_search_fts_data`) until those are
    merged, which 'optimize' does now, whole. SQLite 3.42's 'secure-delete' option would do it at
    each delete; Python 3.12's SQLite may be older. On PostgreSQL the tsvector is a column of the
    document's row and goes with it (old row versions until VACUUM, docs/security.md)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")


def reindex_contact(contact_id: int) -> int:
    from tanggap.cases.models import Case

    return reindex_cases(Case.objects.filter(contact_id=contact_id).values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------
# Reading


def query_terms(q: str) -> list[list[list[str]]]:
    """The query as terms; each term is its alternative spellings, each spelling its words.

    InvalidInput when the query is too long or has nothing to search for."""
    if not isinstance(q, str):
        raise InvalidInput(_("'q' must be a string."), field="q")
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(_("The search is longer than %(limit)d characters.")
                           % {"limit": MAX_QUERY_CHARS}, field="q")
    folded = fold(q).strip()
    compact = re.sub(r"[\s-]+", "", folded)
    if _TRACKING_QUERY.fullmatch(compact):
        return [[[compact]]]
    terms: list[list[list[str]]] = []
    for token in language.normalize(folded):
        forms = [form for form in _token_forms(token)
                 if form and (len(form) > 1 or len(form[0]) >= MIN_PREFIX_CHARS
                              or form[0].isdigit())]
        if forms and forms not in terms:
            terms.append(forms)
    if not terms:
        raise InvalidInput(_("The search has no words to look for."), field="q")
    if len(terms) > MAX_QUERY_WORDS:
        raise InvalidInput(_("Search for at most %(limit)d words.") % {"limit": MAX_QUERY_WORDS},
                           field="q")
    return terms


def _fts5_query(terms) -> str:
    # Every word is quoted (FTS5 operators and column filters in the user's text are just words)
    # and a prefix; a spelling of several words ("terima kasih") is a phrase.
    def spelling(words):
        return '"' + " ".join(words) + '"*'

    return " AND ".join("(" + " OR ".join(spelling(w) for w in term) + ")" for term in terms)


def _tsquery(terms) -> str:
    def spelling(words):
        return "(" + " <-> ".join(f"{w}:*" for w in words) + ")"

    return " & ".join("(" + " | ".join(spelling(w) for w in term) + ")" for term in terms)


# At least this many matches make a query "broad" (bench/search): see matching().
BROAD_MATCHES = 2000


def matching(q: str) -> Q:
    """A filter on a Case queryset (its table under its own name): the cases whose document
    holds every word of `q`."""
    from tanggap.cases.models import Case

    terms = query_terms(q)
    if connection.vendor == "postgresql":
        return _postgres_matching(terms)
    fts = _fts5_query(terms)
    select = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({select} LIMIT {BROAD_MATCHES})", [fts])
        broad = cursor.fetchone()[0] >= BROAD_MATCHES
    if not broad:
        # Few matches: look them up by id and sort them (a few hundred rows at most).
        return Q(pk__in=RawSQL(select, [fts]))
    # Many matches ("lampu" in a tenth of all cases): walk the cases newest first, by the
    # inbox's own index, keeping those in the match set; the first page is found after a few
    # rows instead of sorting every match (25 ms instead of 80 at 100,000 cases). The unary +
    # keeps SQLite from looking each match up by its id instead.
    return Q(RawSQL(f'+"{Case._meta.db_table}"."id" IN ({select})', [fts],
                    output_field=BooleanField()))


def _postgres_matching(terms) -> Q:
    from tanggap.cases.models import CaseSearch

    tsquery = _tsquery(terms)
    fulltext = CaseSearch.objects.filter(
        RawSQL("tsv @@ to_tsquery('simple', %s)", [tsquery], output_field=BooleanField()))
    if fulltext.exists():
        return Q(pk__in=fulltext.values("case_id"))
    # Nothing spelt that way: the trigram fallback finds near spellings of each word.
    fuzzy = CaseSearch.objects.all()
    for term in terms:
        words = " ".join(term[0])
        fuzzy = fuzzy.filter(RawSQL("%s <%% words", [words], output_field=BooleanField()))
    return Q(pk__in=fuzzy.values("case_id"))
