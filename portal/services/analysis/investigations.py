"""Saved investigations: a named set of nodes and notes, kept per organisation.

Name, notes and nodes are sealed (AES-256-GCM under a key derived from the master key for this
purpose, bound to the organisation's id); the name's keyed blind-index token, scoped to the
organisation, keeps names unique. Nothing of an investigation is stored in clear.

Only nodes of the organisation's own graph can be saved (a person as the ids of its mentions,
so that merging or splitting persons later still finds it); reopening one shows what of it the
organisation can read now (a node whose bulletins were retracted is simply gone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from crypto.secretbox import SecretBox
from portal import vault
from portal.extensions import db
from portal.models import Investigation, utcnow
from portal.services import audit
from portal.services.analysis import graph_client
from portal.services.errors import Conflict, InvalidInput, NotFound
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader

MAX_NAME = 120
MAX_NOTES = 10_000
MAX_NODES = 2_000


@dataclass(frozen=True)
class SavedInvestigation:
    id: int
    name: str
    notes: str
    nodes: list[str]
    updated_at: datetime


PURPOSE = b"investigations"


def _context(org_id: int) -> bytes:
    return b"investigation:org:%d" % org_id


def name_token(org_id: int, name: str) -> bytes:
    return org_keys.blind_index().token(f"investigation:{org_id}:{name}")


def seal(org_id: int, name: str, notes: str, nodes: list[str]) -> bytes:
    plain = json.dumps({"name": name, "notes": notes, "nodes": nodes}).encode()
    return SecretBox(vault.derivation_root(), PURPOSE).seal(plain, _context(org_id))


def _saved(row: Investigation) -> SavedInvestigation:
    opened = json.loads(
        SecretBox(vault.derivation_root(), PURPOSE).open(row.sealed, _context(row.org_id))
    )
    return SavedInvestigation(
        row.id, opened["name"], opened["notes"], list(opened["nodes"]), row.updated_at
    )


def _check(reader: Reader, name: str, notes: str, nodes: list[str]) -> list[str]:
    if not reader.sees_bulletins:
        raise NotFound()
    if not name.strip():
        raise InvalidInput(gettext("Name the investigation."), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(
            gettext("A name of at most %(limit)s characters.", limit=MAX_NAME), field="name"
        )
    if len(notes) > MAX_NOTES:
        raise InvalidInput(
            gettext("Notes of at most %(limit)s characters.", limit=MAX_NOTES), field="notes"
        )
    if not nodes:
        raise InvalidInput(gettext("An investigation needs at least one node."), field="nodes")
    if len(nodes) > MAX_NODES or not all(isinstance(n, str) and len(n) < 600 for n in nodes):
        raise InvalidInput(
            gettext("At most %(limit)s nodes, as the graph names them.", limit=MAX_NODES),
            field="nodes",
        )
    # A person is saved as its mentions, so a later merge or split still finds it.
    kept: list[str] = graph_client.ask(reader, "saved_nodes", nodes=list(nodes))
    return kept


def save(
    reader: Reader, actor: Actor, name: str, notes: str, nodes: list[str]
) -> SavedInvestigation:
    """Create the investigation, or update the organisation's one of the same name."""
    kept = _check(reader, name, notes, nodes)
    name = name.strip()
    try:
        with db.write() as session:
            token = name_token(reader.org_id, name)
            row = session.scalar(
                select(Investigation).where(
                    Investigation.org_id == reader.org_id, Investigation.name_token == token
                )
            )
            if row is None:
                row = Investigation(
                    org_id=reader.org_id, name_token=token, created_by=reader.user_id
                )
                session.add(row)
            row.sealed = seal(reader.org_id, name, notes, kept)
            row.updated_at = utcnow()
            session.flush()
            audit.record(
                session,
                "investigation.saved",
                actor,
                subject_org=reader.org_id,
                details={"investigation": row.id, "nodes": len(kept)},
            )
    except IntegrityError:
        raise Conflict(gettext("Someone saved an investigation of that name just now.")) from None
    return _saved(row)


def listed(reader: Reader) -> list[SavedInvestigation]:
    rows = db.session().scalars(
        select(Investigation)
        .where(Investigation.org_id == reader.org_id)
        .order_by(Investigation.updated_at.desc())
    )
    return [_saved(row) for row in rows]


def one(reader: Reader, investigation_id: int) -> SavedInvestigation:
    row = db.session().get(Investigation, investigation_id)
    if row is None or row.org_id != reader.org_id or not reader.sees_bulletins:
        raise NotFound()
    return _saved(row)


def delete(reader: Reader, actor: Actor, investigation_id: int) -> None:
    with db.write() as session:
        row = session.get(Investigation, investigation_id)
        if row is None or row.org_id != reader.org_id:
            raise NotFound()
        session.delete(row)
        audit.record(
            session,
            "investigation.deleted",
            actor,
            subject_org=reader.org_id,
            details={"investigation": investigation_id},
        )
