"""Exact radius search over PDQ hashes by multi-index hashing, on NumPy only.

A PDQ hash is 256 bits. Cut it into 16 chunks of 16 bits: if two hashes differ in at most 31
bits, the differing bits cannot be spread over all 16 chunks with two or more in each, so at
least one chunk differs by 0 or 1 bit (pigeonhole). For every chunk the index keeps the
positions of all hashes sorted by that chunk's value, with the start of each of the 65,536
values (a counting sort): a query probes, in each chunk, its own value and its 16 one-bit
neighbours (17 x 16 = 272 buckets), and every candidate found there is verified with a
popcount of the XOR. Nothing within the radius is missed and nothing outside it is returned:
the same answer as a scan of every hash, for any radius up to 31.

The candidates grow with the bank (272 buckets of n / 65,536 hashes each: 41,500 a query at
10M), so a large bank is cut into 11 chunks of 23 or 24 bits instead: 11 x 3 > 31, so some
chunk differs by at most 2 bits, and a query probes each chunk's value and every neighbour
within 2 bits (3,047 buckets), whose buckets hold n / 8M hashes: about 3,700 candidates a
query at 10M, for 448 MB of bucket starts that pay only on large banks.

Additions go to a small tail scanned in full until it is merged (rebuilding the chunk tables);
removals clear a row's "alive" flag. No Flask, no SQLAlchemy: this module is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

BITS = 256
MAX_RADIUS = 31  # the radius every layout below is exact for (pigeonhole)
HEX_LENGTH = BITS // 4
# Candidates verified at once, about: the temporary arrays (some 150 bytes a candidate)
# stay within the caches.
CANDIDATES_PER_STEP = 60_000
# Additions kept in the scanned tail before the chunk tables are rebuilt.
TAIL_LIMIT = 4096

# Banks of at least this many hashes use the wide layout (11 chunks, 2-bit neighbours).
WIDE_FROM = 4_000_000

Words = npt.NDArray[np.uint64]  # (n, 4): the 32 bytes of each hash, as native words
Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Layout:
    """Chunks of these widths (bits, in order from the first bit), probed within ``reach``."""

    widths: tuple[int, ...]
    reach: int

    def __post_init__(self) -> None:
        if sum(self.widths) != BITS or len(self.widths) * (self.reach + 1) <= MAX_RADIUS:
            raise ValueError("the chunks must cover 256 bits and make radius 31 exact")


NARROW = Layout((16,) * 16, 1)
WIDE = Layout((24,) * 3 + (23,) * 8, 2)


def layout_for(n: int) -> Layout:
    """The layout for a bank of ``n`` hashes: larger chunks as the bank grows, as long as
    their bucket starts (4 bytes x 2^width each) stay a fraction of the hashes' memory."""
    return WIDE if n >= WIDE_FROM else NARROW


def _stable_order(column: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.intp]:
    """``argsort(column, kind="stable")`` in 16-bit radix passes (NumPy sorts 16-bit keys by
    radix, wider ones by merging, several times slower)."""
    order = np.argsort((column & 0xFFFF).astype(np.uint16), kind="stable")
    if width > 16:
        high = (column >> 16).astype(np.uint16)[order]
        order = order[np.argsort(high, kind="stable")]
    return order


def _masks(width: int, reach: int) -> npt.NDArray[np.int64]:
    """Every value of ``width`` bits with at most ``reach`` bits set (0 first)."""
    masks = [0]
    for count in range(1, reach + 1):
        masks += [sum(1 << b for b in bits) for bits in combinations(range(width), count)]
    return np.array(masks, dtype=np.int64)


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


def _chunk(words: Words, offset: int, width: int) -> npt.NDArray[np.int64]:
    """The ``width`` bits at ``offset`` (from the first bit) of each hash, as integers."""
    big = np.ascontiguousarray(words).view(">u8")  # the 32 bytes as 4 big-endian words
    word, shift = divmod(offset, 64)
    mask = np.uint64((1 << width) - 1)
    end = shift + width
    if end <= 64:
        value = (big[:, word].astype(np.uint64) >> np.uint64(64 - end)) & mask
    else:
        high = big[:, word].astype(np.uint64) << np.uint64(end - 64)
        low = big[:, word + 1].astype(np.uint64) >> np.uint64(128 - end)
        value = (high | low) & mask
    return value.astype(np.int64)


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

    def __init__(
        self,
        words: Words | None = None,
        ids: Iterable[int] | None = None,
        layout: Layout | None = None,
    ) -> None:
        words = np.empty((0, 4), dtype=np.uint64) if words is None else words
        id_array = np.fromiter(ids or (), dtype=np.int64)
        if len(id_array) != len(words):
            raise ValueError("one id per hash")
        self.fixed_layout = layout
        self._build(np.ascontiguousarray(words, dtype=np.uint64), id_array)

    # -- building ---------------------------------------------------------------------------

    def _build(self, words: Words, ids: Ids) -> None:
        if len(ids) > 1 and np.any(ids[1:] <= ids[:-1]):
            by_id = np.argsort(ids, kind="stable")
            words, ids = words[by_id], ids[by_id]
            if np.any(ids[1:] == ids[:-1]):
                raise ValueError("ids must be distinct")
        n = len(ids)
        self.layout = self.fixed_layout or layout_for(n)
        self.words = words
        self.ids = ids  # ascending: rows are found by id with a binary search
        self.alive = np.ones(n, dtype=bool)
        # order[j * n + k]: the k-th row by chunk j's value; starts[j][v]: where v begins.
        self.order = np.empty(len(self.layout.widths) * n, dtype=np.uint32)
        # Bucket starts fit 32 bits: a bank holds fewer than 2^32 hashes (uint32 ``order``).
        self.starts: list[npt.NDArray[np.uint32]] = []
        self.masks: list[npt.NDArray[np.int64]] = []
        offset = 0
        for j, width in enumerate(self.layout.widths):
            column = _chunk(words, offset, width)
            self.order[j * n : (j + 1) * n] = _stable_order(column, width)
            counts = np.bincount(column, minlength=1 << width)
            del column
            starts = np.zeros((1 << width) + 1, dtype=np.uint32)
            starts[1:] = np.cumsum(counts)  # (a cumsum straight into uint32 is 10x slower)
            self.starts.append(starts)
            self.masks.append(_masks(width, self.layout.reach))
            offset += width
        self.tail_words = np.empty((0, 4), dtype=np.uint64)
        self.tail_ids = np.empty(0, dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.alive.sum()) + len(self.tail_ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.words, self.ids, self.alive, self.order, *self.starts, self.tail_words)
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
        gone = np.fromiter(ids, dtype=np.int64)
        if not len(gone):
            return
        if len(self.ids):
            rows = np.minimum(np.searchsorted(self.ids, gone), len(self.ids) - 1)
            self.alive[rows[self.ids[rows] == gone]] = False
        if len(self.tail_ids):
            keep = ~np.isin(self.tail_ids, gone)
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
        """Bucket starts (in ``order``) and lengths of every probe, a row per query."""
        n = len(self.ids)
        begins, lengths = [], []
        offset = 0
        for j, width in enumerate(self.layout.widths):
            values = _chunk(queries, offset, width)[:, None] ^ self.masks[j][None, :]
            starts = self.starts[j]
            begin = starts[values].astype(np.int64)
            lengths.append(starts[values + 1].astype(np.int64) - begin)
            begins.append(begin + j * n)
            offset += width
        return np.concatenate(begins, axis=1), np.concatenate(lengths, axis=1)

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
        # Queries go in blocks of about CANDIDATES_PER_STEP candidates in all: the temporary
        # arrays then stay in the caches and are reused (a batch's worth at once, millions of
        # candidates, ran five times slower, in page faults and cache misses).
        expected = sum(
            len(masks) * len(self.ids) / (1 << width)
            for masks, width in zip(self.masks, self.layout.widths, strict=True)
        )
        block = int(min(1024, max(1, CANDIDATES_PER_STEP // max(expected, 1.0))))
        for first in range(0, len(queries), block):
            last = min(len(queries), first + block)
            begin, lengths = self.probe_sizes(queries[first:last])
            per_query = lengths.sum(axis=1)
            positions = _expand(begin.ravel(), lengths.ravel())
            rows = self.order[positions].astype(np.int64)
            shift = max(1, int(last - first - 1).bit_length())
            owners = np.repeat(np.arange(last - first, dtype=np.int64), per_query)
            # Sorted by row, the hashes are read in memory order rather than at random, and a
            # hash found in several chunks for the same query comes out twice in a row.
            key = (rows << shift) | owners
            key.sort()
            rows, owners = key >> shift, key & ((1 << shift) - 1)
            d = _popcount(self.words[rows] ^ queries[first:last][owners])
            keep = d <= radius
            keep[1:] &= key[1:] != key[:-1]
            q_all.append(owners[keep] + first)
            r_all.append(rows[keep])
            d_all.append(d[keep])
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
