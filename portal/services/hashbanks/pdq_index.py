"""Exact radius search over PDQ hashes by multi-index hashing, on NumPy only.

A PDQ hash is 256 bits. Cut it into 16 chunks of 16 bits: if two hashes differ in at most 31
bits, the differing bits cannot be spread over all 16 chunks with two or more in each, so at
least one chunk differs by 0 or 1 bit (pigeonhole). For every chunk the index keeps the
positions of all hashes sorted by that chunk's value, with the start of each of the 65,536
values (a counting sort): a query probes, in each chunk, its own value and its 16 one-bit
neighbours (17 x 16 = 272 buckets), and every candidate found there is verified with a
popcount of the XOR. Nothing within the radius is missed and nothing outside it is returned:
the same answer as a scan of every hash, for any radius up to 31.

Additions go to a small tail scanned in full until it is merged (rebuilding the chunk tables);
removals clear a row's "alive" flag. No Flask, no SQLAlchemy: this module is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BITS = 256
CHUNKS = 16
CHUNK_BITS = 16
BUCKETS = 1 << CHUNK_BITS
MAX_RADIUS = CHUNKS * 2 - 1  # 31: beyond it the pigeonhole argument no longer holds
HEX_LENGTH = BITS // 4
# Candidates verified at once: bounds the temporary arrays (about 80 bytes each).
CANDIDATES_PER_STEP = 4_000_000
# Additions kept in the scanned tail before the chunk tables are rebuilt.
TAIL_LIMIT = 4096

Words = npt.NDArray[np.uint64]  # (n, 4): the 32 bytes of each hash, as native words
Ids = npt.NDArray[np.int64]

_FLIPS = np.concatenate(
    [np.zeros(1, dtype=np.uint16), (1 << np.arange(CHUNK_BITS)).astype(np.uint16)]
)


class BadHash(ValueError):
    """A PDQ hash that is not 64 hexadecimal digits."""


def parse_hex(values: Sequence[str]) -> Words:
    """``(n, 4)`` words of ``n`` 64-hex-digit hashes (either case)."""
    raw = bytearray()
    for value in values:
        if len(value) != HEX_LENGTH:
            raise BadHash(value)
        try:
            raw += bytes.fromhex(value)
        except ValueError:
            raise BadHash(value) from None
    return np.frombuffer(bytes(raw), dtype=np.uint64).reshape(-1, 4).copy()


def to_hex(words: Words) -> list[str]:
    data = np.ascontiguousarray(words, dtype=np.uint64).tobytes()
    return [data[i : i + 32].hex() for i in range(0, len(data), 32)]


def distances(query: Words, hashes: Words) -> npt.NDArray[np.int64]:
    """Hamming distance of one hash ``(4,)`` to each of ``hashes``."""
    counts: npt.NDArray[np.int64] = np.bitwise_count(hashes ^ query).sum(axis=1, dtype=np.int64)
    return counts


def _chunks(words: Words) -> npt.NDArray[np.uint16]:
    return np.ascontiguousarray(words).view(np.uint16).reshape(-1, CHUNKS)


@dataclass(frozen=True)
class Found:
    """The matches of query ``query`` (its position in the batch)."""

    query: int
    id: int
    distance: int


def _expand(starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]) -> Ids:
    """The concatenation of ``range(s, s + l)`` for each start and length."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    shift = starts - (ends - lengths)
    return np.repeat(shift, lengths) + np.arange(total, dtype=np.int64)


class PdqIndex:
    """An in-memory index of PDQ hashes, each with an integer id (the bank entry's id)."""

    def __init__(self, words: Words | None = None, ids: Iterable[int] | None = None) -> None:
        words = np.empty((0, 4), dtype=np.uint64) if words is None else words
        id_array = np.fromiter(ids or (), dtype=np.int64)
        if len(id_array) != len(words):
            raise ValueError("one id per hash")
        self._build(np.ascontiguousarray(words, dtype=np.uint64), id_array)

    # -- building ---------------------------------------------------------------------------

    def _build(self, words: Words, ids: Ids) -> None:
        self.words = words
        self.ids = ids
        self.alive = np.ones(len(ids), dtype=bool)
        n = len(ids)
        chunks = _chunks(words)
        # order[j * n + k]: the k-th row by chunk j's value; starts[j, v]: where v begins.
        self.order = np.empty(CHUNKS * n, dtype=np.uint32 if n < 2**32 else np.int64)
        self.starts = np.empty((CHUNKS, BUCKETS + 1), dtype=np.int64)
        for j in range(CHUNKS):
            column = chunks[:, j]
            self.order[j * n : (j + 1) * n] = np.argsort(column, kind="stable")
            counts = np.bincount(column, minlength=BUCKETS)
            self.starts[j, 0] = j * n
            np.cumsum(counts, out=self.starts[j, 1:])
            self.starts[j, 1:] += j * n
        self.tail_words = np.empty((0, 4), dtype=np.uint64)
        self.tail_ids = np.empty(0, dtype=np.int64)
        self._where = {int(entry): row for row, entry in enumerate(ids)}

    @property
    def size(self) -> int:
        return int(self.alive.sum()) + len(self.tail_ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.words, self.ids, self.alive, self.order, self.starts, self.tail_words)
        return sum(a.nbytes for a in arrays)

    def add(self, words: Words, ids: Iterable[int]) -> None:
        """Add hashes (an id already present is replaced)."""
        id_array = np.fromiter(ids, dtype=np.int64)
        if len(id_array) != len(words):
            raise ValueError("one id per hash")
        self.remove(id_array.tolist())
        self.tail_words = np.concatenate([self.tail_words, words.astype(np.uint64)])
        self.tail_ids = np.concatenate([self.tail_ids, id_array])
        if len(self.tail_ids) > TAIL_LIMIT:
            self.compact()

    def remove(self, ids: Iterable[int]) -> None:
        gone = set()
        for entry in ids:
            row = self._where.pop(int(entry), None)
            if row is not None:
                self.alive[row] = False
            gone.add(int(entry))
        if gone and len(self.tail_ids):
            keep = ~np.isin(self.tail_ids, np.fromiter(gone, dtype=np.int64))
            self.tail_words, self.tail_ids = self.tail_words[keep], self.tail_ids[keep]

    def compact(self) -> None:
        """Merge the tail and drop removed rows: rebuild the chunk tables."""
        words = np.concatenate([self.words[self.alive], self.tail_words])
        ids = np.concatenate([self.ids[self.alive], self.tail_ids])
        self._build(words, ids)

    # -- searching --------------------------------------------------------------------------

    def search(self, queries: Words, radius: int = MAX_RADIUS) -> list[list[Found]]:
        """For each query, every hash within ``radius`` bits (closest first, then by id)."""
        if not 0 <= radius <= MAX_RADIUS:
            raise ValueError(f"the radius must be 0 to {MAX_RADIUS}")
        queries = np.ascontiguousarray(queries, dtype=np.uint64).reshape(-1, 4)
        found: list[list[Found]] = [[] for _ in range(len(queries))]
        q_rows, rows, dist = self.search_arrays(queries, radius)
        for q, row, d in zip(q_rows.tolist(), rows.tolist(), dist.tolist(), strict=True):
            found[q].append(Found(q, int(self.ids[row]), d))
        if len(self.tail_ids):
            for q, query in enumerate(queries):
                d_tail = distances(query, self.tail_words)
                for k in np.flatnonzero(d_tail <= radius).tolist():
                    found[q].append(Found(q, int(self.tail_ids[k]), int(d_tail[k])))
        for matches in found:
            matches.sort(key=lambda f: (f.distance, f.id))
        return found

    def probe_sizes(self, queries: Words) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Bucket starts and lengths, ``(len(queries), 16 * 17)`` each."""
        chunks = _chunks(queries).astype(np.int64)  # (q, 16)
        values = chunks[:, :, None] ^ _FLIPS.astype(np.int64)[None, None, :]  # (q, 16, 17)
        table = np.arange(CHUNKS, dtype=np.int64)[None, :, None]
        begin = self.starts[table, values]
        end = self.starts[table, values + 1]
        q = len(queries)
        return begin.reshape(q, -1), (end - begin).reshape(q, -1)

    def search_arrays(
        self, queries: Words, radius: int = MAX_RADIUS
    ) -> tuple[Ids, Ids, npt.NDArray[np.int64]]:
        """Matches in the chunk tables (not the tail) as arrays: query number, row, distance;
        one row per (query, hash), removed rows left out."""
        q_all: list[Ids] = []
        r_all: list[Ids] = []
        d_all: list[npt.NDArray[np.int64]] = []
        if len(self.ids) == 0 or len(queries) == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        begin, lengths = self.probe_sizes(queries)
        per_query = lengths.sum(axis=1)
        first = 0
        while first < len(queries):
            # As many queries as keep the candidates under the step's bound (one at least).
            running = np.cumsum(per_query[first:])
            last = first + max(1, int(np.searchsorted(running, CANDIDATES_PER_STEP, "right")))
            positions = _expand(begin[first:last].ravel(), lengths[first:last].ravel())
            rows = self.order[positions].astype(np.int64)
            shift = max(1, int(last - first - 1).bit_length())
            owners = np.repeat(np.arange(last - first, dtype=np.int64), per_query[first:last])
            # Sorted by row, the hashes are read in memory order rather than at random (the
            # gather was two thirds of the time), and a hash found in several chunks for the
            # same query comes out twice in a row.
            key = (rows << shift) | owners
            key.sort()
            rows, owners = key >> shift, key & ((1 << shift) - 1)
            d = _popcount(self.words[rows] ^ queries[first:last][owners])
            keep = d <= radius
            keep[1:] &= key[1:] != key[:-1]
            q_all.append(owners[keep] + first)
            r_all.append(rows[keep])
            d_all.append(d[keep])
            first = last
        q_rows, rows, dist = np.concatenate(q_all), np.concatenate(r_all), np.concatenate(d_all)
        alive = self.alive[rows]
        return q_rows[alive], rows[alive], dist[alive]


def _popcount(xored: Words) -> npt.NDArray[np.int64]:
    """Set bits of each row of ``(n, 4)`` words: the four byte counts summed in lanes (an
    axis sum over four columns is several times slower)."""
    counts = np.bitwise_count(xored).view(np.uint32).ravel()  # four counts of 0..64 each
    pairs = (counts & 0x00FF00FF) + ((counts >> 8) & 0x00FF00FF)
    return ((pairs & 0xFFFF) + (pairs >> 16)).astype(np.int64)


def brute_force(
    hashes: Words, ids: Ids, queries: Words, radius: int
) -> list[list[tuple[int, int]]]:
    """``(distance, id)`` of every hash within ``radius`` of each query, by a full scan."""
    out = []
    for query in queries:
        d = distances(query, hashes)
        hit = np.flatnonzero(d <= radius)
        out.append(sorted((int(d[k]), int(ids[k])) for k in hit.tolist()))
    return out
