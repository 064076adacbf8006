"""Fixtures for the crypto tests: deterministic organisation keys and a fixed clock."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from crypto.keys import Directory, PrivateBundle

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
ORGS = ("CA", "DE", "EU", "FR", "INTERPOL", "IT", "JP", "UK", "US")


def bundle(org: str, version: int = 1) -> PrivateBundle:
    """The same keys on every run: the seed is a hash of the organisation and version."""
    seed = hashlib.sha256(f"ischia tests/{org}/v{version}".encode()).digest()
    return PrivateBundle.from_seed(seed, org, version, NOW)


POOL = {org: bundle(org) for org in ORGS}
EXTRA = {f"ORG{i:02d}": bundle(f"ORG{i:02d}") for i in range(50)}


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def orgs() -> dict[str, PrivateBundle]:
    """The nine organisations of the founding agreement (private bundles, version 1)."""
    return POOL


@pytest.fixture
def many_orgs() -> dict[str, PrivateBundle]:
    """Fifty more organisations, for large recipient lists."""
    return EXTRA


@pytest.fixture
def directory() -> Directory:
    return Directory([b.public for b in (*POOL.values(), *EXTRA.values())])
