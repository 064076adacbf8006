"""What the demo bulletins are: who posts what to whom and when, over eighteen months, from a
fixed random seed, and who reads or acknowledges each one. Nothing here touches the database;
:mod:`.demo_bulletins` posts the plan.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from portal.demo import documents as demo_documents
from portal.demo.world import G7, World, build_world
from portal.models import Role
from portal.services.bulletins import sealing

SEED = 20260401
PERIOD = timedelta(days=548)  # eighteen months
# Shares in percent: most reporting is AMBER, RED is rare.
MARKINGS = {"TLP:CLEAR": 5, "TLP:GREEN": 22, "TLP:AMBER": 47, "TLP:AMBER+STRICT": 21,
            "TLP:RED": 5}  # fmt: skip
RECIPIENT_COUNTS = {1: 2, 2: 4, 3: 4, 4: 3, 5: 2, 6: 1}
AMENDED_SHARE = 0.03
ACKNOWLEDGED_SHARE = 0.15


@dataclass(frozen=True)
class Planned:
    """One bulletin to post: who, when, to whom, what, and who will read or acknowledge it."""

    sender: str
    at: datetime
    category: str
    marking: str
    recipients: tuple[str, ...]
    document: dict[str, Any]
    reads: tuple[tuple[str, Role, timedelta], ...] = ()  # organisation, reader's role, delay
    acknowledgements: tuple[tuple[str, timedelta], ...] = ()

    def draft(self) -> sealing.Draft:
        return sealing.Draft(
            document=self.document,
            category=self.category,
            marking=self.marking,
            recipients=self.recipients,
        )


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _recipients(rng: random.Random, sender: str, marking: str) -> tuple[str, ...]:
    others = [code for code in G7 if code != sender]
    count = rng.randint(1, 2) if marking == "TLP:RED" else _weighted(rng, RECIPIENT_COUNTS)
    return tuple(sorted(rng.sample(others, count)))


def _activity(
    rng: random.Random, recipients: Sequence[str], at: datetime, now: datetime
) -> tuple[tuple[tuple[str, Role, timedelta], ...], tuple[tuple[str, timedelta], ...]]:
    """Who read the bulletin (older ones more often) and which recipients acknowledged it."""
    age = (now - at) / PERIOD
    reads, acknowledged = [], []
    for code in recipients:
        if rng.random() < 0.2 + 0.6 * age:
            reads.append((code, Role.ANALYST, timedelta(hours=rng.uniform(0.5, 96))))
        if rng.random() < ACKNOWLEDGED_SHARE:
            delay = timedelta(hours=rng.uniform(1, 200))
            reads.append((code, Role.LIAISON, delay / 2))
            acknowledged.append((code, delay))
    latest = now - at - timedelta(minutes=1)
    return (
        tuple((c, r, min(d, latest)) for c, r, d in reads),
        tuple((c, min(d, latest)) for c, d in acknowledged),
    )


def plan(count: int, *, now: datetime, seed: int = SEED) -> Iterator[Planned]:
    """``count`` bulletins in posting order. The same seed gives the same bulletins."""
    rng = random.Random(seed)  # noqa: S311  (synthetic demo content, not a secret)
    world = build_world(rng)
    start = now - PERIOD
    # Reporting grows over the period: more bulletins in recent months than early on.
    offsets = sorted(PERIOD * (rng.random() ** 0.7) for _ in range(count))
    for offset in offsets:
        at = min(start + offset, now - timedelta(hours=1))
        yield _planned(rng, world, at, now)


def _planned(rng: random.Random, world: World, at: datetime, now: datetime) -> Planned:
    network = rng.choice(world.networks)
    sender = _weighted(rng, network.profile.reporters)
    category = _weighted(rng, network.profile.categories)
    marking = _weighted(rng, MARKINGS)
    recipients = _recipients(rng, sender, marking)
    document = demo_documents.write(rng, network, category, sender, at.date())
    reads, acknowledged = _activity(rng, recipients, at, now)
    return Planned(sender, at, category, marking, recipients, document, reads, acknowledged)


def amended_version(
    rng: random.Random, planned: Planned, now: datetime
) -> tuple[Planned, datetime]:
    """The next version of ``planned``: an update section, posted days later."""
    at = min(planned.at + timedelta(days=rng.uniform(1, 20)), now - timedelta(minutes=30))
    document = dict(planned.document)
    document["summary"] = "Update: " + document["summary"]
    document["body"] += (
        f"\n\n### Update of {at:%d %B %Y}\n\nFurther reporting confirms the identifiers above; "
        "the assessment is unchanged."
    )
    return replace(planned, document=document, reads=(), acknowledgements=()), at
