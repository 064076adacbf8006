"""Key bundles, fingerprints and directories."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from crypto.errors import TamperedEnvelope, UnknownKeyVersion
from crypto.keys import Directory, PrivateBundle, PublicBundle, format_fingerprint
from tests.crypto.conftest import NOW, bundle


def test_a_seed_always_gives_the_same_keys():
    first, again = bundle("FR"), bundle("FR")
    assert first.public == again.public
    assert first.public.fingerprint == again.public.fingerprint
    assert bundle("FR", 2).public.ml_kem_768 != first.public.ml_kem_768


def test_public_bundle_is_a_small_json_document():
    public = bundle("FR").public
    doc = json.loads(public.to_json())
    assert doc["bundle"] == "ischia-org-public-key/1"
    assert (doc["org"], doc["version"], doc["created_at"]) == ("FR", 1, "2026-11-29T09:30:00Z")
    assert set(doc["encryption"]) == {"algorithm", "ml_kem_768", "x25519"}
    assert set(doc["signing"]) == {"algorithm", "ed25519", "ml_dsa_65"}
    assert len(public.to_json()) < 5000
    assert PublicBundle.from_json(public.to_json()) == public


def test_fingerprint_covers_every_field():
    public = bundle("FR").public
    others = [
        replace(public, org="DE"),
        replace(public, version=2),
        replace(public, created_at=NOW.replace(second=1)),
        replace(public, x25519=bundle("DE").public.x25519),
        replace(public, ml_kem_768=bundle("DE").public.ml_kem_768),
        replace(public, ed25519=bundle("DE").public.ed25519),
        replace(public, ml_dsa_65=bundle("DE").public.ml_dsa_65),
    ]
    prints = {public.fingerprint, *(other.fingerprint for other in others)}
    assert len(prints) == len(others) + 1


def test_fingerprint_reads_as_twelve_groups_of_five_digits():
    text = bundle("FR").public.fingerprint_text
    assert re.fullmatch(r"\d{5}( \d{5}){11}", text)
    assert format_fingerprint(bytes(32)) == " ".join(["00000"] * 12)
    assert format_fingerprint(b"\xff" * 32) == " ".join(["65535"] * 12)
    with pytest.raises(ValueError):
        format_fingerprint(b"short")


def test_private_bundle_round_trip_and_repr():
    private = bundle("FR")
    assert PrivateBundle.from_json(private.to_json()) == private
    assert private.seed.hex() not in repr(private)
    assert "seed" not in repr(private)


def test_created_at_is_normalised_to_whole_seconds_utc():
    moment = NOW.replace(microsecond=123456)
    assert PrivateBundle.generate("FR", now=moment).created_at == NOW
    with pytest.raises(ValueError, match="timezone-aware"):
        PrivateBundle.generate("FR", now=NOW.replace(tzinfo=None))


@pytest.mark.parametrize("org", ["", "F R", "FR/1", "é", "x" * 65, "-FR"])
def test_organisation_codes_are_restricted(org):
    with pytest.raises(ValueError):
        PrivateBundle.from_seed(bytes(32), org, 1, NOW)


def test_malformed_public_bundles_are_refused():
    doc = bundle("FR").public.to_dict()
    broken = [
        {**doc, "version": 0},
        {**doc, "version": "1"},
        {**doc, "extra": 1},
        {**doc, "encryption": {**doc["encryption"], "x25519": doc["signing"]["ml_dsa_65"]}},
        {**doc, "signing": {**doc["signing"], "algorithm": "Ed25519"}},
        {k: v for k, v in doc.items() if k != "org"},
    ]
    for item in broken:
        with pytest.raises(TamperedEnvelope):
            PublicBundle.from_dict(item)


def test_directory_lookup_latest_and_round_trip():
    directory = Directory([bundle("FR").public, bundle("FR", 2).public, bundle("DE").public])
    assert directory.latest("FR").version == 2
    assert directory.public_bundle("DE", 1) == bundle("DE").public
    with pytest.raises(UnknownKeyVersion, match="DE v2"):
        directory.public_bundle("DE", 2)
    with pytest.raises(UnknownKeyVersion):
        directory.latest("US")
    again = Directory.from_json(directory.to_json())
    assert list(again) == list(directory)
    bare = json.dumps([b.to_dict() for b in directory])
    assert len(Directory.from_json(bare)) == 3


def test_directory_refuses_two_keys_under_one_name():
    impostor = replace(bundle("DE").public, org="FR")
    with pytest.raises(ValueError, match="two different bundles"):
        Directory([bundle("FR").public, impostor])


def test_a_public_bundle_is_a_directory_of_one():
    public = bundle("FR").public
    assert public.public_bundle("FR", 1) is public
    with pytest.raises(UnknownKeyVersion):
        public.public_bundle("FR", 2)
