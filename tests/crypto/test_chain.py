"""The hash chain under the audit log: every kind of tampering found, at the right position."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from pathlib import Path

import pytest

from crypto.chain import (
    GENESIS_HASH,
    ChainBreak,
    ChainEntry,
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    find_break,
    link,
    verify_checkpoint,
)
from crypto.primitives import HybridVerifier

# A checkpoint signed by the code that operators have already run (see its "description").
STORED = Path(__file__).parent / "vectors" / "master-key" / "checkpoint.json"


def chain(length: int) -> list[ChainEntry]:
    entries, previous = [], GENESIS_HASH
    for seq in range(1, length + 1):
        fields = {"event": "bulletin.read", "seq": seq, "actor": f"user{seq % 3}"}
        digest = link(previous, fields)
        entries.append(ChainEntry(seq, previous, digest, fields))
        previous = digest
    return entries


def renumbered(entries: list[ChainEntry]) -> list[ChainEntry]:
    return [replace(entry, seq=i) for i, entry in enumerate(entries, start=1)]


def forged(after: ChainEntry | None, fields: dict[str, object]) -> ChainEntry:
    previous = GENESIS_HASH if after is None else after.hash
    return ChainEntry(0, previous, link(previous, fields), fields)


def test_an_intact_chain_has_no_break():
    assert find_break(chain(10)) is None
    assert find_break([]) is None


@pytest.mark.parametrize("position", [1, 5, 10])
def test_an_edited_entry_is_named(position):
    entries = chain(10)
    entries[position - 1] = replace(entries[position - 1], fields={"event": "nothing happened"})
    found = find_break(entries)
    assert (found.seq, found.kind) == (position, "edited")


@pytest.mark.parametrize("position", [1, 5, 9])
def test_an_edited_and_rehashed_entry_is_found_where_it_stops_linking(position):
    entries = chain(10)
    entries[position - 1] = replace(
        forged(entries[position - 2] if position > 1 else None, {"event": "rewritten"}),
        seq=position,
    )
    found = find_break(entries)
    assert (found.seq, found.kind) == (position, "unlinked")
    assert f"#{position + 1} does not follow entry #{position}" in found.message


@pytest.mark.parametrize("position", [1, 5, 9])
def test_a_deleted_entry_is_named(position):
    entries = chain(10)
    del entries[position - 1]
    found = find_break(entries)
    assert (found.seq, found.kind) == (position, "deleted")


def test_a_deleted_entry_with_positions_renumbered_is_found():
    entries = chain(10)
    del entries[4]
    found = find_break(renumbered(entries))
    assert (found.seq, found.kind) == (4, "unlinked")
    assert "removed and renumbered" in found.message


@pytest.mark.parametrize("linked", [True, False])
@pytest.mark.parametrize("position", [1, 5, 10])
def test_an_inserted_entry_is_named(position, linked):
    entries = chain(10)
    after = entries[position - 2] if position > 1 else None
    intruder = forged(after, {"event": "planted"})
    if not linked:
        fields = {"event": "planted"}
        stray = secrets.token_bytes(32)
        intruder = ChainEntry(0, stray, link(stray, fields), fields)
    entries.insert(position - 1, intruder)
    found = find_break(renumbered(entries))
    assert (found.seq, found.kind) == (position, "inserted")


def test_a_duplicated_position_is_an_insertion():
    entries = chain(6)
    entries.insert(3, entries[3])
    found = find_break(entries)
    assert (found.seq, found.kind) == (4, "inserted")


@pytest.mark.parametrize(("first", "second"), [(3, 4), (1, 2), (5, 6), (2, 6)])
def test_reordered_entries_are_named(first, second):
    entries = chain(6)
    entries[first - 1], entries[second - 1] = entries[second - 1], entries[first - 1]
    found = find_break(renumbered(entries))
    assert (found.seq, found.kind) == (first, "reordered")


def test_find_break_continues_from_a_checkpoint():
    entries = chain(10)
    assert find_break(entries[5:], first_seq=6, first_prev=entries[4].hash) is None
    found = find_break(entries[5:], first_seq=6, first_prev=GENESIS_HASH)
    assert found.seq == 5


@pytest.fixture
def signer():
    return CheckpointSigner(secrets.token_bytes(32))


def test_a_checkpoint_round_trips_and_verifies(signer):
    entries = chain(5)
    checkpoint = signer.sign(5, entries[-1].hash, "2026-11-29T09:30:00Z")
    again = Checkpoint.from_json(checkpoint.to_json())
    assert again == checkpoint
    verify_checkpoint(again, signer.public_keys)


def test_a_rewritten_tail_is_caught_by_the_checkpoint(signer):
    """Truncating or re-linking the whole tail leaves a clean chain; the checkpoint does not."""
    entries = chain(8)
    checkpoint = signer.sign(8, entries[-1].hash, "2026-11-29T09:30:00Z")
    truncated = entries[:6]
    assert find_break(truncated) is None
    assert len(truncated) < checkpoint.seq
    rewritten = entries[:5]
    for _ in range(3):
        rewritten.append(
            replace(forged(rewritten[-1], {"event": "benign"}), seq=len(rewritten) + 1)
        )
    assert find_break(rewritten) is None
    assert rewritten[checkpoint.seq - 1].hash != checkpoint.head


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 9},
        {"head": bytes(32)},
        {"at": "2026-11-29T09:30:01Z"},
        {"ed25519_signature": bytes(64)},
        {"mldsa65_signature": b""},
    ],
)
def test_a_tampered_checkpoint_does_not_verify(signer, change):
    checkpoint = signer.sign(8, chain(8)[-1].hash, "2026-11-29T09:30:00Z")
    with pytest.raises(CheckpointError, match=r"^checkpoint signature does not verify$"):
        verify_checkpoint(replace(checkpoint, **change), signer.public_keys)


def test_a_checkpoint_signed_by_other_keys_is_refused(signer):
    other = CheckpointSigner(secrets.token_bytes(32))
    checkpoint = other.sign(1, chain(1)[0].hash, "2026-11-29T09:30:00Z")
    verify_checkpoint(checkpoint)  # consistent in itself...
    with pytest.raises(
        CheckpointError, match=r"^checkpoint is signed by keys other than the trusted ones$"
    ):
        verify_checkpoint(checkpoint, signer.public_keys)  # ...but not ours
    mixed = replace(checkpoint, ed25519_public=signer.public_keys[0])
    with pytest.raises(CheckpointError):
        verify_checkpoint(mixed)


def test_checkpoint_keys_follow_the_master_key():
    master = secrets.token_bytes(32)
    assert CheckpointSigner(master).public_keys == CheckpointSigner(master).public_keys
    assert CheckpointSigner(master).public_keys != CheckpointSigner(master, b"other").public_keys


@pytest.mark.parametrize("text", ["{}", "[]", "not json", '{"seq": 1}'])
def test_a_malformed_checkpoint_is_refused(text):
    with pytest.raises(CheckpointError, match="malformed"):
        Checkpoint.from_json(text)


def test_a_checkpoint_stored_by_an_operator_still_verifies():
    """Same keys from the same master key, same bytes signed, same printed form."""
    doc = json.loads(STORED.read_text())
    signer = CheckpointSigner(bytes.fromhex(doc["master_key"]), doc["purpose"].encode())
    stored = Checkpoint.from_json(doc["checkpoint"])
    assert stored.to_json() == doc["checkpoint"]
    assert signer.public_keys == (stored.ed25519_public, stored.mldsa65_public)
    verify_checkpoint(stored, signer.public_keys)
    # Both signatures cover exactly the documented statement...
    HybridVerifier(*signer.public_keys).verify(
        bytes.fromhex(doc["statement"]), stored.ed25519_signature, stored.mldsa65_signature
    )
    # ...and signing again covers the same bytes: Ed25519 is deterministic, ML-DSA is not.
    again = signer.sign(stored.seq, stored.head, stored.at)
    assert again.ed25519_signature == stored.ed25519_signature
    verify_checkpoint(again, (stored.ed25519_public, stored.mldsa65_public))
    entries = [
        ChainEntry(e["seq"], bytes.fromhex(e["prev_hash"]), bytes.fromhex(e["hash"]), e["fields"])
        for e in doc["entries"]
    ]
    assert find_break(entries) is None
    assert entries[-1].hash == stored.head
    altered = bytearray(stored.mldsa65_signature)
    altered[100] ^= 1
    with pytest.raises(CheckpointError):
        verify_checkpoint(replace(stored, mldsa65_signature=bytes(altered)), signer.public_keys)


def test_each_break_is_reported_in_words_an_operator_can_act_on():
    one_gone = chain(10)
    del one_gone[4]
    assert find_break(one_gone) == ChainBreak(5, "deleted", "entry #5 was deleted")
    three_gone = chain(10)
    del three_gone[4:7]
    assert find_break(three_gone) == ChainBreak(5, "deleted", "entry #5..#7 was deleted")
    last_two_swapped_in = chain(10)
    last_two_swapped_in[5] = replace(last_two_swapped_in[5], seq=5)
    assert find_break(last_two_swapped_in) == ChainBreak(5, "inserted", "entry #5 appears twice")
    edited = chain(10)
    edited[2] = replace(edited[2], fields={"event": "nothing happened"})
    assert find_break(edited) == ChainBreak(3, "edited", "entry #3 was edited")
    entries = chain(10)
    intruder = replace(forged(entries[2], {"event": "planted"}), seq=4)
    planted = renumbered([*entries[:3], intruder, *entries[3:]])
    assert find_break(planted) == ChainBreak(4, "inserted", "entry #4 was inserted into the chain")
