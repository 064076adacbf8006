"""The multi-index PDQ index gives exactly the answers of a full scan: planted neighbours at
every distance up to 31 are found, those at 32 and beyond are not, before and after entries
are added and removed, and whether or not the tail has been merged."""

from __future__ import annotations

import numpy as np
import pytest

from portal.services.hashbanks import pdq_index
from portal.services.hashbanks.pdq_index import PdqIndex, brute_force


def flip(rng: np.random.Generator, words: np.ndarray, bits: int) -> np.ndarray:
    out = words.copy().view(np.uint8)
    for position in rng.choice(256, bits, replace=False):
        out[position // 8] ^= np.uint8(1 << (position % 8))
    return out.view(np.uint64)


@pytest.fixture(scope="module")
def bank() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 30_000
    hashes = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    queries = rng.integers(0, 2**64, size=(120, 4), dtype=np.uint64)
    # Queries 0..39 sit at distance 0..39 from a bank hash; some bits clustered in one chunk.
    for k in range(40):
        queries[k] = flip(rng, hashes[k * 11], k)
    return hashes, np.arange(n, dtype=np.int64) + 1000, queries


def pairs(found: list[list[pdq_index.Found]]) -> list[list[tuple[int, int]]]:
    return [[(f.distance, f.id) for f in matches] for matches in found]


def test_the_index_answers_as_a_full_scan_does(bank):
    hashes, ids, queries = bank
    index = PdqIndex(hashes, ids.tolist())
    found = pairs(index.search(queries, 31))
    assert found == brute_force(hashes, ids, queries, 31)
    for k in range(40):  # the planted neighbour: found up to 31, not beyond
        assert ((k, 1000 + k * 11) in found[k]) is (k <= 31)


def test_a_smaller_radius_and_the_worst_case_spread(bank):
    hashes, ids, _ = bank
    index = PdqIndex(hashes, ids.tolist())
    # 31 bits spread as evenly as possible: one chunk with one bit, fifteen with two.
    query = hashes[5].copy().view(np.uint16)
    for chunk in range(16):
        query[chunk] ^= np.uint16(0b1 if chunk == 9 else 0b101)
    query = query.view(np.uint64)
    assert pairs(index.search(query[None, :], 31))[0] == [(31, 1005)]
    assert pairs(index.search(query[None, :], 30))[0] == []
    with pytest.raises(ValueError):
        index.search(query[None, :], 32)


def test_additions_and_removals_keep_it_exact(bank, monkeypatch):
    hashes, ids, queries = bank
    index = PdqIndex(hashes[:20_000], ids[:20_000].tolist())
    index.add(hashes[20_000:20_100], ids[20_000:20_100].tolist())  # in the scanned tail
    index.remove([1000, 1011, 20_050 + 1000])
    live = np.ones(20_100, dtype=bool)
    live[[0, 11, 20_050]] = False
    expected = brute_force(hashes[:20_100][live], ids[:20_100][live], queries, 31)
    assert pairs(index.search(queries, 31)) == expected
    monkeypatch.setattr(pdq_index, "TAIL_LIMIT", 10)
    index.add(hashes[20_100:], ids[20_100:].tolist())  # over the limit: merged
    assert len(index.tail_ids) == 0 and index.size == len(hashes) - 3
    live = np.ones(len(hashes), dtype=bool)
    live[[0, 11, 20_050]] = False
    assert pairs(index.search(queries, 31)) == brute_force(hashes[live], ids[live], queries, 31)


def test_hex_round_trip_and_refusal():
    words = pdq_index.parse_hex(["f" * 64, "0123456789abcdef" * 4])
    assert pdq_index.to_hex(words) == ["f" * 64, "0123456789abcdef" * 4]
    for bad in ("f" * 63, "g" * 64):
        with pytest.raises(pdq_index.BadHash):
            pdq_index.parse_hex([bad])


def test_the_empty_index_finds_nothing():
    index = PdqIndex()
    assert index.search(np.zeros((2, 4), dtype=np.uint64)) == [[], []]


def test_the_wide_layout_of_large_banks_is_exact_too(bank):
    hashes, ids, queries = bank
    index = PdqIndex(hashes, ids.tolist(), layout=pdq_index.WIDE)
    assert index.layout.widths == (24, 24, 24, *(23,) * 8)
    found = pairs(index.search(queries, 31))
    assert found == brute_force(hashes, ids, queries, 31)
    assert sum(map(len, found)) >= 32
    index.remove([1000])
    assert (0, 1000) not in pairs(index.search(queries[:1], 31))[0]


def test_a_layout_that_would_miss_matches_is_refused():
    with pytest.raises(ValueError):
        pdq_index.Layout((32,) * 8, 2)  # 8 x 3 = 24: a hash 24 bits away could hide
