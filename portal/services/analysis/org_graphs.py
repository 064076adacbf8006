"""One link graph per organisation, built from the bulletins it can read, cached per process.

In production that process is the machine's graph process (``flask graphs serve``), which the
web workers ask through :mod:`graph_client`; without ``GRAPH_SOCKET`` it is each web process.

The graph holds only what the organisation's own key opened: bulletins it cannot read never
enter it, so nothing downstream (search, neighbourhoods, paths, exports) can leak them. Only
the current version of each bulletin counts (state ``active``); replaced, retracted and
expired ones leave the graph.

The cache checks a cheap stamp of the organisation's recipient rows (and of its analysts'
"same person" decisions, and of expiry times passing) on every use; when it changed, the set of
readable bulletins is compared and the graph updated in place (``add_bulletin`` /
``remove_bulletin``), not rebuilt. Callers use the graph inside :func:`reading`, which holds a
shared lock: an update waits until no request is reading, and no request reads during one.
Background measures read without the lock and keep a result only if the graph did not change
meanwhile.

Sightings (structured comments on bulletins, :mod:`bulletins.comments`) that the
organisation's key opens are set on the graph too, on the entity's node in the series' current
version; their count and newest time are part of the stamp.

The organisation's own referrals join its graph too (:mod:`referral_links`): one record per
referred item, with the outcomes as the ``referrals`` attribute of the nodes they reach. A
look at the ledger's highest id tells the cache when an item may have been referred or anything
happened to one (a decision, a reinstatement, a withdrawal); only those items are read again.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select

import graph
from portal.extensions import db
from portal.models import (
    Bulletin,
    BulletinRecipient,
    BulletinState,
    PersonDecision,
    utcnow,
)
from portal.services.analysis import referral_links
from portal.services.bulletins import comments
from portal.services.bulletins.entities import graph_bulletin
from portal.services.bulletins.reading import Unopened, open_bulletin
from portal.services.principals import Reader

FREEZE_ABOVE = 1_000  # bulletins added at once: after a build this large, freeze the collector
log = logging.getLogger(__name__)


class _ReadWriteLock:
    """Many readers or one writer. Readers do not wait for a waiting writer (requests are short
    and may nest a read), only for an active one."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            while self._writing:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._readers:
                self._condition.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


@dataclass
class _Entry:
    graph: Any
    stamp: tuple[Any, ...] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards ``running``
    access: _ReadWriteLock = field(default_factory=_ReadWriteLock)
    derived: dict[str, Any] = field(default_factory=dict)  # by name, for graph.version
    titles: dict[str, str] = field(default_factory=dict)  # verified titles, in memory only
    running: set[str] = field(default_factory=set)  # measures being computed in a thread
    # The organisation's own referrals in the graph, and how far their ledger was read.
    links: referral_links.Links = field(default_factory=referral_links.Links)


_CACHE: dict[tuple[str, int], _Entry] = {}
_CACHE_LOCK = threading.Lock()


def _entry(reader: Reader) -> _Entry:
    key = (str(db.engine.url), reader.org_id)
    with _CACHE_LOCK:
        entry = _CACHE.get(key)
        if entry is None:
            entry = _CACHE[key] = _Entry(graph.new_graph(bulletin_nodes=False, keep_records=False))
        return entry


def _stamp(reader: Reader) -> tuple[Any, ...]:
    session = db.session()
    now = utcnow()
    row = session.execute(
        select(
            func.count(),
            func.max(BulletinRecipient.created_at),
            func.max(Bulletin.ended_at),
            func.count().filter(Bulletin.state == BulletinState.ACTIVE.value),
            # An expiry passing changes what may be read before the expiry job runs.
            func.count().filter(or_(Bulletin.expires_at.is_(None), Bulletin.expires_at > now)),
        )
        .select_from(BulletinRecipient)
        .join(Bulletin, Bulletin.id == BulletinRecipient.bulletin_id)
        .where(BulletinRecipient.org_id == reader.org_id)
    ).one()
    decisions = session.execute(
        select(
            func.count(), func.max(PersonDecision.decided_at), func.max(PersonDecision.revoked_at)
        ).where(PersonDecision.org_id == reader.org_id)
    ).one()
    return (*row, *decisions, *comments.stamp(reader))


def _merges(reader: Reader, g: Any) -> graph.PersonMerges:
    """The organisation's confirmed "same person" decisions about mentions in its graph."""
    rows = db.session().scalars(
        select(PersonDecision).where(
            PersonDecision.org_id == reader.org_id,
            PersonDecision.same.is_(True),
            PersonDecision.revoked_at.is_(None),
        )
    )
    # A merge stays with the mentions the analyst saw: after an amendment (a name, or even the
    # person behind a ref, may have changed) the pair is suggested again, to be confirmed anew.
    # The note stays sealed: nothing in the graph shows it (person_decisions opens it).
    merges = graph.PersonMerges(
        graph.ConfirmedMerge(r.first, r.second, str(r.decided_by), r.decided_at) for r in rows
    )
    return merges.restricted_to(g.graph["persons"])


def current_mentions(g: Any, mentions: list[str]) -> dict[str, str]:
    """Where "not the same person" decisions about mentions of amended bulletins now point.

    A decision names mentions ``person:<bulletin>:<ref>`` of the versions the analyst saw. An
    amendment is a new version with a new id that keeps the entities' refs, so a mention of a
    superseded version maps to the same ref in the series' current version, when that version
    is in the graph and still names a person under that ref. Mentions that are current, or
    whose bulletin has no current version here, are left out of the answer. Only rejections
    follow (see ``_merges``): keeping two mentions apart can never join the wrong people.
    """
    persons: dict[str, str] = g.graph["persons"]
    stale: dict[str, tuple[str, str]] = {}
    for mention in mentions:
        kind, _, rest = mention.partition(":")
        bulletin_id, _, ref = rest.partition(":")
        if mention not in persons and kind == "person" and bulletin_id and ref:
            stale[mention] = (bulletin_id, ref)
    if not stale:
        return {}
    session = db.session()
    series_of = {
        bulletin_id: series
        for bulletin_id, series in session.execute(
            select(Bulletin.id, Bulletin.series_id).where(
                Bulletin.id.in_({bid for bid, _ in stale.values()})
            )
        )
    }
    present = g.graph["bulletins"]
    latest = {
        series: bulletin_id
        for series, bulletin_id in session.execute(
            select(Bulletin.series_id, Bulletin.id).where(
                Bulletin.series_id.in_(set(series_of.values())),
                Bulletin.state == BulletinState.ACTIVE.value,
            )
        )
        if bulletin_id in present
    }
    found = {}
    for mention, (bulletin_id, ref) in stale.items():
        now = latest.get(series_of.get(bulletin_id, ""))
        if now is not None and graph.person_mention_id(now, ref) in persons:
            found[mention] = graph.person_mention_id(now, ref)
    return found


def _readable(reader: Reader) -> set[str]:
    return set(
        db.session().scalars(
            select(BulletinRecipient.bulletin_id)
            .join(Bulletin, Bulletin.id == BulletinRecipient.bulletin_id)
            .where(
                BulletinRecipient.org_id == reader.org_id,
                Bulletin.state == BulletinState.ACTIVE.value,
                or_(Bulletin.expires_at.is_(None), Bulletin.expires_at > utcnow()),
            )
        )
    )


def _opened(reader: Reader, ids: set[str], titles: dict[str, str]) -> list[graph.Bulletin]:
    session = db.session()
    now = utcnow()
    bulletins = list(session.scalars(select(Bulletin).where(Bulletin.id.in_(ids))))
    parts = []
    for bulletin in sorted(bulletins, key=lambda b: (b.created_at, b.id)):
        opened = open_bulletin(session, reader.org_code, bulletin, now=now)
        if isinstance(opened, Unopened):
            continue  # what does not verify never enters the graph
        content, sender = opened.content, bulletin.sender
        try:
            part = graph_bulletin(
                bulletin.id, sender.code, bulletin.created_at.date(), bulletin.marking, content
            )
        except graph.InvalidBulletin as error:
            # One bulletin the graph cannot take must not break every recipient's workspace.
            log.warning("bulletin %s left out of the graph: %s", bulletin.id, error)
            continue
        titles[bulletin.id] = content.title
        parts.append(part)
    return parts


def _sightings(reader: Reader, g: Any) -> list[graph.Sighting]:
    """The sightings the organisation's key opens, on the current version of each series."""
    found = comments.sightings(reader)
    if not found:
        return []
    present = g.graph["bulletins"]
    current = {
        series: bulletin_id
        for series, bulletin_id in db.session().execute(
            select(Bulletin.series_id, Bulletin.id).where(
                Bulletin.series_id.in_({s.series_id for s in found}),
                Bulletin.state == BulletinState.ACTIVE.value,
            )
        )
        if bulletin_id in present
    }
    return [
        graph.Sighting(s.id, current[s.series_id], s.ref, s.on, s.place, s.country, s.org)
        for s in found
        if s.series_id in current
    ]


def _refresh(reader: Reader, entry: _Entry) -> None:
    stamp = _stamp(reader)
    if stamp == entry.stamp and not referral_links.due(entry.links):
        return
    with entry.access.write():
        if stamp != entry.stamp:
            _refresh_bulletins(reader, entry, stamp)
        if referral_links.due(entry.links):
            # A new referral adds records (the structure changes); a decision only changes
            # the summaries on the nodes, which no whole-graph measure depends on.
            if referral_links.update(entry.graph, reader, entry.links):
                entry.derived.clear()


def _refresh_bulletins(reader: Reader, entry: _Entry, stamp: tuple[Any, ...]) -> None:
    g = entry.graph
    readable = _readable(reader)
    present = {bid for bid in g.graph["bulletins"] if not referral_links.is_referral(bid)}
    for gone in sorted(present - readable):
        graph.remove_bulletin(g, gone)
        entry.titles.pop(gone, None)
    added = _opened(reader, readable - present, entry.titles)
    for part in added:
        graph.add_bulletin(g, part)
    # The graph keeps no relations of its own: a merge re-reads the bulletins it re-adds.
    graph.apply_merges(
        g, _merges(reader, g), reload=lambda ids: _opened(reader, set(ids), entry.titles)
    )
    graph.set_sightings(g, _sightings(reader, g))
    entry.derived.clear()
    entry.stamp = stamp
    if len(added) > FREEZE_ABOVE:
        gc.freeze()


@contextmanager
def reading(reader: Reader) -> Iterator[Any]:
    """The reader's organisation's graph, brought up to date, held for reading in the block.

    A platform partner gets an empty graph. Do not change the graph; do not nest an update.
    """
    if not reader.sees_bulletins:
        yield graph.new_graph(bulletin_nodes=False)
        return
    entry = _entry(reader)
    _refresh(reader, entry)
    with entry.access.read():
        yield entry.graph


def titles(reader: Reader, bulletin_ids: list[str]) -> dict[str, str]:
    """Verified titles of bulletins in the reader's organisation's graph."""
    known = _entry(reader).titles
    return {bid: known[bid] for bid in bulletin_ids if bid in known}


def derived(
    reader: Reader, g: Any, name: str, compute: Any, *, background: bool = False
) -> Any | None:
    """A whole-graph measure (cells, influence) of ``g`` (from :func:`reading`), cached until
    the graph changes.

    With ``background``, a missing value is computed in a thread and None returned until it
    is ready (the page shows progress and asks again).
    """
    entry = _entry(reader)
    version = graph.graph_version(g)
    key = f"{name}@{version}"
    if key in entry.derived:
        return entry.derived[key]
    if not background:
        value = entry.derived[key] = compute(g)
        return value
    with entry.lock:
        if key not in entry.running:
            entry.running.add(key)
            threading.Thread(
                target=_compute_into, args=(entry, key, compute, g, version), daemon=True
            ).start()
    return None


def _compute_into(entry: _Entry, key: str, compute: Any, g: Any, version: int) -> None:
    """Compute without the lock (minutes on millions of edges); keep it only if still current."""
    try:
        value = compute(g)
    except Exception:  # the graph changed under the computation: a newer version will ask again
        log.info("whole-graph measure %s abandoned: the graph changed", key)
        value = None
    finally:
        with entry.lock:
            entry.running.discard(key)
    if value is not None and graph.graph_version(g) == version and g is entry.graph:
        entry.derived[key] = value


def forget(reader: Reader | None = None) -> None:
    """Drop cached graphs (all of them, or one organisation's)."""
    with _CACHE_LOCK:
        if reader is None:
            _CACHE.clear()
        else:
            _CACHE.pop((str(db.engine.url), reader.org_id), None)


def bulletin_ids(g: Any, node: str) -> set[str]:
    """The bulletins behind ``node`` in ``g``, without the organisation's referral records."""
    return {bid for bid in graph.node_bulletins(g, node) if not referral_links.is_referral(bid)}


def preload(reader: Reader, g: Any) -> None:
    """Install ``g`` as the organisation's current graph (benchmarks of large synthetic graphs).

    The graph must hold only what the organisation may read; it stays until the
    organisation's recipient rows change.
    """
    entry = _entry(reader)
    with entry.access.write():
        entry.graph = g
        entry.titles.clear()
        entry.derived.clear()
        entry.stamp = _stamp(reader)
        entry.links = referral_links.Links()
        referral_links.settled(entry.links)


@dataclass(frozen=True)
class CacheSize:
    """One organisation's graph as cached in this process, for the metrics."""

    org_id: int
    nodes: int
    edges: int


def cache_sizes() -> list[CacheSize]:
    """The graphs this process holds for the current database (no lock: two dict lengths)."""
    url = str(db.engine.url)
    with _CACHE_LOCK:
        entries = [(key[1], entry.graph) for key, entry in _CACHE.items() if key[0] == url]
    return [CacheSize(org_id, g.number_of_nodes(), g.number_of_edges()) for org_id, g in entries]
