# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""``rows.message_rows`` compiled: a message's feature rows and their sum in one C pass.

Built by ``uv sync`` (setuptools and Cython, pyproject.toml) where a C compiler is found;
``rows.py`` is the same function in Python and runs where it is not. Why compiled: five
rounds of rearranging the Python code never moved the ~300 k machine instructions a message
spent here (joining ~34 chunks' row arrays, sorting and deduplicating ~430 rows, gathering
and summing them: a dozen NumPy calls whose fixed costs are most of it), see
docs/language.md, "Speed, round six".

The same answers as ``rows.py``, to the last bit: rows are marked in a bitset (so each is
kept once, in ascending order, without a sort) and summed in float64, exact for a few
hundred float16 weights and float32 squared idfs whatever the order of adding, then rounded
once to float32 and divided by the float32 square root, as NumPy does.
"""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from cpython.unicode cimport Py_UNICODE_ISALNUM, Py_UNICODE_ISALPHA, Py_UNICODE_ISDIGIT
from libc.math cimport sqrtf
from libc.stdint cimport uint64_t
from libc.stdlib cimport calloc, free

import numpy as np


# --- First sight: a new chunk's tokens, a new word's spelling repair, a chunk's kasar cues
# (normalize.py and matching.py hold the same functions in Python: _plain_chunk_tokens,
# _repair_word, _kasar_cues). Their module-level names are bound at the first call, since
# those modules import this one.

cdef object _Token = None, _repair = None, _spelling_fallback = None, _lexicon = None
cdef object _rude_after = None, _kasar_emoji = None, _affixed_root = None
cdef object _WORD_KIND = None, _EMOJI_KIND = None, _NUMBER_KIND = None, _PUNCT_KIND = None
cdef long _ABUSIVE_BIT = 0, _AIMING_BIT = 0
cdef object _make = tuple.__new__
cdef tuple _CLITIC_ENDS = ("nya", "lah", "kah", "pun", "ku", "mu")


cdef void _bind_normalize():
    global _Token, _repair, _spelling_fallback, _lexicon, _WORD_KIND, _NUMBER_KIND, _PUNCT_KIND
    global _EMOJI_KIND
    from . import lexicon
    from .normalize import EMOJI, NUMBER, PUNCT, WORD, Token, _repair_spelling, repair_word
    _Token, _repair, _spelling_fallback, _lexicon = Token, repair_word, _repair_spelling, lexicon
    _WORD_KIND, _NUMBER_KIND, _PUNCT_KIND, _EMOJI_KIND = WORD, NUMBER, PUNCT, EMOJI


def plain_chunk_tokens(str chunk):
    """See ``normalize._plain_chunk_tokens``: the same argument and answers."""
    cdef Py_ssize_t n = len(chunk), end = n, i, part = 0, first = -1
    cdef Py_UCS4 c
    cdef bint digits = True
    if _Token is None:
        _bind_normalize()
    while end > 0 and chunk[end - 1] in u",.!?":
        end -= 1
    if end == 0:
        return None
    if n - end >= 2:
        for i in range(end, n):
            c = chunk[i]
            if c != u"!" and c != u"?":
                return None
    for i in range(end):
        c = chunk[i]
        if c == u"-":
            if part == 0:
                return None
            if first < 0:
                first = part
            part = 0
            digits = False
        elif Py_UNICODE_ISALNUM(c):
            part += 1
            if digits and not Py_UNICODE_ISDIGIT(c):
                digits = False
        else:
            return None
    if part == 0 or first == 1:
        return None
    head = chunk[:end] if end < n else chunk
    if digits:
        tokens = [_make(_Token, (head, head, head, 0, end, _NUMBER_KIND))]
    else:
        base, norms = _repair(head)
        tokens = [_make(_Token, (head, base, norm, 0, end, _WORD_KIND)) for norm in norms]
    if end < n:
        tail = chunk[end:]
        mark = tail[0]
        tokens.append(_make(_Token, (tail, mark, mark, end, n, _PUNCT_KIND)))
    return tuple(tokens)


cdef object _spelling(str word, object known):
    """``normalize._repair_spelling`` of ``word``: the common new word here (letters, perhaps
    hyphens or apostrophes, which leave the leetspeak step nothing to do; no letter thrice in
    a row, its last two different; perhaps a clitic on a known stem), the rest in Python."""
    cdef Py_ssize_t n = len(word), i, size
    cdef Py_UCS4 c, previous = 0
    cdef int run = 0
    if word in known:
        return word
    if n > 3 and word[n - 1] == word[n - 2]:
        return _spelling_fallback(word)
    for i in range(n):
        c = word[i]
        if not Py_UNICODE_ISALPHA(c) and c != u"-" and c != u"'":
            return _spelling_fallback(word)
        if c == previous and u"a" <= c <= u"z":
            run += 1
            if run >= 3:
                return _spelling_fallback(word)
        else:
            run = 1
        previous = c
    for clitic in _CLITIC_ENDS:
        size = len(<str>clitic)
        if n - size >= 3 and word.endswith(clitic):
            stem = word[:n - size]
            if stem in known:
                return stem
    return word


def repair_word(str surface):
    """See ``normalize._repair_word``: the same argument and answers."""
    cdef PyObject *hit
    if _Token is None:
        _bind_normalize()
    tables = _lexicon.slang()
    cdef dict exact = tables.exact
    hit = PyDict_GetItem(exact, surface)
    if hit != NULL:
        return surface.lower(), tuple((<str>hit).split())
    base = _spelling(surface.lower().replace(u"’", u"'"), _lexicon.vocabulary())
    lower = <dict>tables.lower
    hit = PyDict_GetItem(lower, base)
    formal = <object>hit if hit != NULL else None
    if formal is None and u"-" in base:
        head, _, tail = (<str>base).partition(u"-")
        if head == tail:
            formal = lower.get(head, head)
    return base, tuple((formal or base).split())


cdef object _kasar_words = None, _root_starts = None, _affix_lexicon = None
cdef tuple _AFFIX_PREFIXES = (), _AFFIX_SUFFIXES = (), _AFFIX_PREFIXES_AND_NONE = ()
cdef tuple _START_SIZES = ()


def affixed_root(str word):
    """See ``matching._affixed_root``: the same argument and answers."""
    global _kasar_words, _root_starts, _affix_lexicon, _AFFIX_PREFIXES, _AFFIX_SUFFIXES
    global _AFFIX_PREFIXES_AND_NONE, _START_SIZES
    cdef Py_ssize_t n, size
    cdef bint found = False
    if _kasar_words is None:
        from . import lexicon, matching
        _kasar_words, _root_starts, _affix_lexicon = (
            matching._kasar_words, matching._root_starts, lexicon)
        _AFFIX_PREFIXES, _AFFIX_SUFFIXES = matching._PREFIXES, ("", *matching._SUFFIXES)
        _AFFIX_PREFIXES_AND_NONE = matching._PREFIXES_AND_NONE
        _START_SIZES = tuple([piece.stop for piece in matching._START_SLICES])
    cdef dict terms = _kasar_words()
    if word in terms or word in _affix_lexicon.kasar_exceptions():
        return None
    n = len(word)
    for clitic in (u"nya", u"mu", u"ku"):
        size = len(<str>clitic)
        if word.endswith(clitic) and n - size > 5:
            word = word[:n - size]
            break
    head, dash, tail = word.partition(u"-")
    if dash and head in _AFFIX_PREFIXES:
        word = head + tail
    starts = _root_starts()
    n = len(word)
    for size in _START_SIZES:
        if n >= size and word[:size] in starts:
            found = True
            break
    if not found:
        return None
    for prefix in _AFFIX_PREFIXES_AND_NONE:
        if not word.startswith(prefix):
            continue
        rest = word[len(<str>prefix):]
        for suffix in _AFFIX_SUFFIXES:
            if not (prefix or suffix) or not rest.endswith(suffix):
                continue
            root = rest[:len(<str>rest) - len(<str>suffix)]
            head, dash, tail = (<str>root).partition(u"-")
            if dash and (<str>tail).startswith(head):
                root = head
            if len(<str>root) >= 4 and terms.get(root) == u"kasar":
                return root
    return None

def kasar_cues(tuple tokens, dict by_norm, dict by_spelling):
    """See ``matching._kasar_cues``: the same arguments and answers."""
    global _rude_after, _kasar_emoji, _affixed_root, _ABUSIVE_BIT, _AIMING_BIT
    cdef long cues = 0
    cdef PyObject *hit
    if _rude_after is None:
        from . import matching
        _rude_after, _kasar_emoji = matching.RUDE_AFTER, matching.KASAR_EMOJI
        _affixed_root = matching.affixed_root
        _ABUSIVE_BIT, _AIMING_BIT = matching._ABUSIVE, matching._AIMING
    if _Token is None:
        _bind_normalize()
    for text, base, norm, _start, _end, kind in tokens:
        hit = PyDict_GetItem(by_norm, norm)
        if hit != NULL:
            cues |= <long><object>hit
        if base in _rude_after:
            cues |= _AIMING_BIT
        hit = PyDict_GetItem(by_spelling, base) if base != norm else NULL
        if hit != NULL:
            cues |= <long><object>hit
        elif kind == _WORD_KIND and len(base) > 5 and _affixed_root(base):
            cues |= _ABUSIVE_BIT
        elif kind == _EMOJI_KIND and text in _kasar_emoji:
            cues |= _ABUSIVE_BIT
    return cues


cdef inline Py_ssize_t _mark(uint64_t *seen, Py_ssize_t vocab, Py_ssize_t row) noexcept:
    """Mark ``row`` (ignored unless a row of the table); 1 if it was new."""
    cdef uint64_t bit
    if row < 0 or row >= vocab:
        return 0
    bit = (<uint64_t>1) << (row & 63)
    if seen[row >> 6] & bit:
        return 0
    seen[row >> 6] |= bit
    return 1


def message_rows(chunk_rows, list chunks, extra, dict index, const float[:, ::1] table):
    """See ``rows.message_rows``: the same arguments and answers."""
    cdef Py_ssize_t vocab = table.shape[0], width = table.shape[1]
    cdef Py_ssize_t blocks = (vocab + 63) >> 6
    cdef Py_ssize_t found = 0, i, j, n, row, block
    cdef const Py_ssize_t *part
    cdef bytes packed
    cdef PyObject *hit
    cdef uint64_t word
    cdef uint64_t *seen
    cdef double *totals
    cdef Py_ssize_t *ids_out
    cdef float *sums_out
    cdef float norm
    cdef str previous = None
    cdef str current
    cdef object words_of = chunk_rows.words
    cdef dict pairs = chunk_rows.pairs
    seen = <uint64_t *> calloc(blocks + 1, sizeof(uint64_t))
    totals = <double *> calloc(width + 1, sizeof(double))
    if seen == NULL or totals == NULL:
        free(seen)
        free(totals)
        raise MemoryError()
    try:
        for chunk in chunks:
            # The caches are dicts whose __missing__ computes a chunk: straight to the dict,
            # through Python only on a miss (the slot lookup of a subclass costs a call).
            hit = PyDict_GetItem(chunk_rows, chunk)
            packed = <bytes>hit if hit != NULL else chunk_rows[chunk]
            part = <const Py_ssize_t *> PyBytes_AS_STRING(packed)
            n = PyBytes_GET_SIZE(packed) // sizeof(Py_ssize_t)
            for i in range(n):
                found += _mark(seen, vocab, part[i])
            hit = PyDict_GetItem(words_of, chunk)
            for current in (<tuple>hit if hit != NULL else words_of[chunk]):
                if previous is not None:
                    # index[f"{previous} {current}"] without building the string (two
                    # lookups of words whose hashes are known: a fifth of this function).
                    hit = PyDict_GetItem(pairs, previous)
                    if hit != NULL:
                        hit = PyDict_GetItem(<dict>hit, current)
                        if hit != NULL:
                            found += _mark(seen, vocab, <Py_ssize_t><object>hit)
                previous = current
        for name in extra:
            hit = PyDict_GetItem(index, name)
            if hit != NULL:
                found += _mark(seen, vocab, <Py_ssize_t><object>hit)
        ids = PyByteArray_FromStringAndSize(NULL, found * sizeof(Py_ssize_t))
        sums = PyByteArray_FromStringAndSize(NULL, (width - 1) * sizeof(float))
        ids_out = <Py_ssize_t *> PyByteArray_AS_STRING(ids)
        sums_out = <float *> PyByteArray_AS_STRING(sums)
        n = 0
        for block in range(blocks):
            word = seen[block]
            while word:
                row = (block << 6) + __builtin_ctzll(word)
                word &= word - 1
                ids_out[n] = row
                n += 1
        if found:
            _sum_rows(totals, &table[0, 0], width, ids_out, found)
            norm = sqrtf(<float>totals[width - 1])
            for j in range(width - 1):
                sums_out[j] = <float>totals[j] / norm
        else:
            for j in range(width - 1):
                sums_out[j] = 0.0
    finally:
        free(seen)
        free(totals)
    return np.frombuffer(ids, dtype=np.intp), np.frombuffer(sums, dtype=np.float32)


cdef extern from *:
    """
    /* The float64 totals of the rows ``ids`` of a (rows x width) float32 table, eight columns
       at a time so that the totals stay in registers while the rows go by (row by row, every
       total was loaded and stored again for each row: half of this function's instructions). */
    static void _sum_rows(double *restrict totals, const float *restrict table,
                          Py_ssize_t width, const Py_ssize_t *restrict ids, Py_ssize_t n) {
        Py_ssize_t j = 0, k;
        for (; j + 8 <= width; j += 8) {
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
            for (k = 0; k < n; k++) {
                const float *r = table + ids[k] * width + j;
                a0 += r[0]; a1 += r[1]; a2 += r[2]; a3 += r[3];
                a4 += r[4]; a5 += r[5]; a6 += r[6]; a7 += r[7];
            }
            totals[j] = a0; totals[j + 1] = a1; totals[j + 2] = a2; totals[j + 3] = a3;
            totals[j + 4] = a4; totals[j + 5] = a5; totals[j + 6] = a6; totals[j + 7] = a7;
        }
        for (; j < width; j++) {
            double a = 0;
            for (k = 0; k < n; k++) a += table[ids[k] * width + j];
            totals[j] = a;
        }
    }
    """
    int __builtin_ctzll(unsigned long long) nogil
    void _sum_rows(double *totals, const float *table, Py_ssize_t width, const Py_ssize_t *ids,
                   Py_ssize_t n) nogil


cdef object _Hit = None  # matching.Hit, bound at the first call (matching imports this module)
cdef object _new = tuple.__new__


def find_phrases(list words, dict index):
    """See ``matching._find_phrases``: the same arguments and answers."""
    global _Hit
    cdef list hits = []
    cdef Py_ssize_t free = 0, i, n = len(words), size, last
    cdef PyObject *entry
    cdef PyObject *labels
    cdef bint matched
    cdef tuple candidates
    if _Hit is None:
        from .matching import Hit
        _Hit = Hit
    for i in range(n):
        if i < free:
            continue
        entry = PyDict_GetItem(index, words[i])
        if entry == NULL:
            continue
        candidates = <tuple>entry
        matched = False
        for size, table in <list>candidates[0]:
            if i + size > n:  # too long to fit: the Python version's slice is shorter
                continue
            labels = PyDict_GetItem(table, tuple(words[i:i + size]))
            if labels != NULL and <list>labels:
                last = i + size - 1
                for label, weight, joined in <list>labels:
                    hits.append(_new(_Hit, (label, joined, weight, i, last)))
                free = i + size
                matched = True
                break
        if not matched:
            single = candidates[1]
            if single:
                for label, weight, joined in single:
                    hits.append(_new(_Hit, (label, joined, weight, i, i)))
                free = i + 1
    return hits


def strongest_rows(const Py_ssize_t[::1] ids, bytes is_word, const float[:, ::1] table,
                   Py_ssize_t column, list vocab, Py_ssize_t limit):
    """See ``rows.strongest_rows``: the same arguments and answers."""
    cdef const unsigned char *flags = <const unsigned char *> PyBytes_AS_STRING(is_word)
    cdef Py_ssize_t k, p, q, row, kept = 0
    cdef float weight
    cdef Py_ssize_t top_rows[16]
    cdef float top_weights[16]
    if limit > 16:
        raise ValueError("limit above 16")
    for k in range(ids.shape[0]):
        row = ids[k]
        if not flags[row]:
            continue
        weight = table[row, column]
        if not weight > 0:
            continue
        # After every kept weight at least as large: a tie goes to the earlier (smaller) row,
        # as the stable argsort of the negated weights gives.
        p = kept
        while p > 0 and top_weights[p - 1] < weight:
            p -= 1
        if p >= limit:
            continue
        if kept < limit:
            kept += 1
        q = kept - 1
        while q > p:
            top_rows[q] = top_rows[q - 1]
            top_weights[q] = top_weights[q - 1]
            q -= 1
        top_rows[p] = row
        top_weights[p] = weight
    return [vocab[top_rows[k]] for k in range(kept)]


cdef extern from *:
    """
    /* numpy.add.reduce of a contiguous float32 row, to the last bit: its pairwise summation
       (eight running sums over blocks of up to 128 numbers), started from the identity. */
    static float _pairwise_sum(const float *a, Py_ssize_t n) {
        Py_ssize_t i, j;
        if (n < 8) {
            float res = -0.0f;
            for (i = 0; i < n; i++) res += a[i];
            return res;
        }
        if (n <= 128) {
            float r[8], res;
            for (j = 0; j < 8; j++) r[j] = a[j];
            for (i = 8; i < n - (n % 8); i += 8)
                for (j = 0; j < 8; j++) r[j] += a[i + j];
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
            for (; i < n; i++) res += a[i];
            return res;
        }
        Py_ssize_t n2 = n / 2;
        n2 -= n2 % 8;
        return _pairwise_sum(a, n2) + _pairwise_sum(a + n2, n - n2);
    }
    """
    float _pairwise_sum(const float *a, Py_ssize_t n) nogil


def shifted_logits(scaled, Py_ssize_t start, list add):
    """A head's logits before its float32 softmax, as ``triage._blend_one`` made them in
    NumPy: ``scaled[start:start + len(add)]`` (float32; zeros when ``scaled`` is None) plus
    ``add`` (Python floats) in float64 and rounded back to float32, less their largest
    (in float32). A new float32 array; ``scaled`` is left as it was."""
    cdef Py_ssize_t n = len(add), j
    cdef const float[::1] row
    cdef float top
    out = PyByteArray_FromStringAndSize(NULL, n * sizeof(float))
    cdef float *values = <float *> PyByteArray_AS_STRING(out)
    if scaled is None:
        for j in range(n):
            values[j] = <float>(0.0 + <double>add[j])
    else:
        row = scaled
        if start < 0 or start + n > row.shape[0]:
            raise IndexError("the head's columns lie outside the scores")
        for j in range(n):
            values[j] = <float>(<double>row[start + j] + <double>add[j])
    if n:
        top = values[0]
        for j in range(1, n):
            if values[j] > top:
                top = values[j]
        for j in range(n):
            values[j] = values[j] - top
    return np.frombuffer(out, dtype=np.float32)


def normalized(const float[::1] exps):
    """``(exps / numpy.add.reduce(exps)).tolist()`` of a float32 row, to the last bit."""
    cdef Py_ssize_t n = exps.shape[0], j
    cdef float total = _pairwise_sum(&exps[0], n) if n else 0.0
    return [<double>(exps[j] / total) for j in range(n)]


# A new word's and a new chunk's rows (``model._new_word_rows``, ``model._new_chunk_rows``):
# over half of classifying a message the process has never seen is done once per new word or
# chunk (docs/language.md, "Speed, round eight: first sight").

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.dict cimport PyDict_SetItem
from cpython.unicode cimport PyUnicode_GET_LENGTH

cdef extern from *:
    """
    #define _GRAM_WIDE 4095
    /* A gram of 3-5 code points, each below _GRAM_WIDE, as one exact 64-bit key: code point + 1
       in 12 bits each (so 0 is no gram and the length is in the key). */
    static inline uint64_t _gram_key(const Py_UCS4 *cps, Py_ssize_t n) {
        uint64_t key = 0;
        for (Py_ssize_t j = 0; j < n; j++)
            key |= (uint64_t)(cps[j] + 1) << (12 * j);
        return key;
    }
    static inline size_t _gram_slot(uint64_t key, int shift) {
        return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> shift);
    }
    """
    Py_UCS4 _GRAM_WIDE
    uint64_t _gram_key(const Py_UCS4 *cps, Py_ssize_t n) nogil
    size_t _gram_slot(uint64_t key, int shift) nogil
    Py_ssize_t PyUnicode_KIND(object) nogil
    void *PyUnicode_DATA(object) nogil
    Py_UCS4 PyUnicode_READ(Py_ssize_t kind, void *data, Py_ssize_t i) nogil


cdef class GramTable:
    """The model's character grams ("#" + 3-5 code points) by an exact key of their code points
    (open addressing), each with its row: the very int object of ``index``, so a word's rows
    are the objects ``index.get`` gives. Grams holding a code point from ``_GRAM_WIDE`` up
    (none in the bench models) stay strings, in ``wide``."""

    cdef uint64_t *keys
    cdef PyObject **rows
    cdef int shift
    cdef size_t mask
    cdef readonly dict index, wide

    def __cinit__(self, dict index):
        cdef Py_ssize_t count = 0, n, j
        cdef size_t size = 8, slot
        cdef int bits = 3
        cdef Py_UCS4 cps[5]
        cdef bint wide
        self.index = index
        self.wide = {}
        for name in index:
            n = PyUnicode_GET_LENGTH(name)
            if 4 <= n <= 6 and (<str>name).startswith("#"):
                count += 1
        while size < 2 * count:
            size <<= 1
            bits += 1
        self.shift = 64 - bits
        self.mask = size - 1
        self.keys = <uint64_t *> PyMem_Malloc(size * sizeof(uint64_t))
        self.rows = <PyObject **> PyMem_Malloc(size * sizeof(PyObject *))
        if self.keys == NULL or self.rows == NULL:
            raise MemoryError()
        for slot in range(size):
            self.keys[slot] = 0
        for name, row in index.items():
            n = PyUnicode_GET_LENGTH(name)
            if not (4 <= n <= 6 and (<str>name).startswith("#")):
                continue
            wide = False
            for j in range(n - 1):
                cps[j] = (<str>name)[j + 1]
                wide = wide or cps[j] >= _GRAM_WIDE
            if wide:
                self.wide[name[1:]] = row
                continue
            key = _gram_key(cps, n - 1)
            slot = _gram_slot(key, self.shift)
            while self.keys[slot]:
                slot = (slot + 1) & self.mask
            self.keys[slot] = key
            self.rows[slot] = <PyObject *> row  # borrowed: ``index`` holds it

    def __dealloc__(self):
        PyMem_Free(self.keys)
        PyMem_Free(self.rows)

    cdef inline PyObject *find(self, const Py_UCS4 *cps, Py_ssize_t n) noexcept:
        cdef uint64_t key = _gram_key(cps, n)
        cdef size_t slot = _gram_slot(key, self.shift)
        while self.keys[slot]:
            if self.keys[slot] == key:
                return self.rows[slot]
            slot = (slot + 1) & self.mask
        return NULL


cdef extern from *:
    """
    /* A tuple of borrowed objects (each gets its reference). */
    static PyObject *_tuple_of(PyObject **items, Py_ssize_t n) {
        PyObject *tuple = PyTuple_New(n);
        if (tuple == NULL) return NULL;
        for (Py_ssize_t i = 0; i < n; i++) {
            Py_INCREF(items[i]);
            PyTuple_SET_ITEM(tuple, i, items[i]);
        }
        return tuple;
    }
    """
    tuple _tuple_of(PyObject **items, Py_ssize_t n)


cdef tuple _word_rows(GramTable table, str base, str norm):
    """``model._new_word_rows`` without the cache: norm, base, then the grams of "<base>"
    by length and start, each found one."""
    cdef dict index = table.index
    cdef Py_ssize_t size = PyUnicode_GET_LENGTH(base) + 2, n, i, j, found = 0
    cdef Py_ssize_t kind = PyUnicode_KIND(base)
    cdef void *data = PyUnicode_DATA(base)
    cdef Py_UCS4 small[64]
    cdef PyObject *few[200]
    cdef Py_UCS4 *cps = small
    cdef PyObject **rows = few
    cdef PyObject *hit
    cdef bint wide = False, window_wide
    cdef str padded = None
    if size > 64:
        cps = <Py_UCS4 *> PyMem_Malloc(size * sizeof(Py_UCS4))
        rows = <PyObject **> PyMem_Malloc((2 + 3 * size) * sizeof(PyObject *))
        if cps == NULL or rows == NULL:
            PyMem_Free(cps)
            PyMem_Free(rows)
            raise MemoryError()
    try:
        hit = PyDict_GetItem(index, norm)
        if hit != NULL:
            rows[found] = hit
            found += 1
        if base != norm:
            hit = PyDict_GetItem(index, base)
            if hit != NULL:
                rows[found] = hit
                found += 1
        cps[0] = u"<"
        for i in range(size - 2):
            cps[i + 1] = PyUnicode_READ(kind, data, i)
            wide = wide or cps[i + 1] >= _GRAM_WIDE
        cps[size - 1] = u">"
        for n in range(3, 6):
            for i in range(size - n + 1):
                window_wide = False
                if wide:
                    for j in range(i, i + n):
                        window_wide = window_wide or cps[j] >= _GRAM_WIDE
                if window_wide:  # rare: looked up as a string, as the Python twin does
                    if padded is None:
                        padded = f"<{base}>"
                    hit = PyDict_GetItem(table.wide, padded[i:i + n])
                else:
                    hit = table.find(&cps[i], n)
                if hit != NULL:
                    rows[found] = hit
                    found += 1
        return _tuple_of(rows, found)
    finally:
        if cps != small:
            PyMem_Free(cps)
            PyMem_Free(rows)


def new_word_rows(word_rows, tuple key):
    """See ``model._new_word_rows``: the same arguments and answers."""
    found = _word_rows(<GramTable?>word_rows.table, <str?>key[0], <str?>key[1])
    PyDict_SetItem(word_rows, key, found)
    return found


cdef object _chunk_tokens = None  # normalize's, bound at the first call (as _Hit)
cdef str _PUNCT, _URL, _MENTION, _EMOJI


def new_chunk_rows(chunk_rows, str chunk):
    """See ``model._new_chunk_rows``: the same arguments and answers."""
    global _chunk_tokens, _PUNCT, _URL, _MENTION, _EMOJI
    if _chunk_tokens is None:
        from .normalize import EMOJI, MENTION, PUNCT, URL
        from .normalize import _chunk_tokens as tokens_of
        _PUNCT, _URL, _MENTION, _EMOJI = PUNCT, URL, MENTION, EMOJI
        _chunk_tokens = tokens_of
    model = chunk_rows.model
    cdef dict index = model._index
    word_rows = model._word_ids
    cdef GramTable table = word_rows.table
    cdef list parts = []
    cdef list words = []
    cdef Py_ssize_t total = 0, i, n
    cdef PyObject *hit
    cdef tuple token
    cdef str kind, norm
    cdef object found
    cdef bytes packed
    cdef Py_ssize_t *out
    for each in _chunk_tokens(chunk):
        token = <tuple>each  # a Token: a tuple's subclass
        kind = token[5]
        norm = token[2]
        if kind == _PUNCT or kind == _URL or kind == _MENTION or kind == _EMOJI:
            # model._special_row
            if kind == _EMOJI:
                hit = PyDict_GetItem(index, norm)
            elif kind == _PUNCT:
                hit = PyDict_GetItem(index, u"?") if norm == u"?" else NULL
            else:
                hit = PyDict_GetItem(index, u"<url>" if kind == _URL else u"<mention>")
            parts.append(<object>hit if hit != NULL else -1)
            total += 1
            if kind == _EMOJI:
                words.append(norm)
            continue
        key = (token[1], norm)
        hit = PyDict_GetItem(word_rows, key)
        if hit != NULL:
            found = <tuple>hit
        else:
            found = _word_rows(table, <str?>token[1], norm)
            PyDict_SetItem(word_rows, key, found)
        parts.append(found)
        total += len(<tuple>found)
        words.append(norm)
    packed = PyBytes_FromStringAndSize(NULL, total * sizeof(Py_ssize_t))
    out = <Py_ssize_t *> PyBytes_AS_STRING(packed)
    i = 0
    for part in parts:
        if type(part) is tuple:
            for row in <tuple>part:
                out[i] = row
                i += 1
        else:
            out[i] = part
            i += 1
    PyDict_SetItem(chunk_rows.words, chunk, tuple(words))
    PyDict_SetItem(chunk_rows, chunk, packed)
    return packed
