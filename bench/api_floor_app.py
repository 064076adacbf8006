"""The floor of an audited API read: open the same envelope(s), and commit one audit record.

A bare Flask app (no token, no rate limit, no access rules, no security headers, no JSON
mapping) that, per request, loads one bulletin row, opens its envelope with the reader
organisation's key ring (decrypt, verify both signatures, parse the content, exactly as the
portal does) and appends one record to the audit chain through the portal's group commit
(records of concurrent requests committed together, each answered once its record is durable).
No API read can do less and still audit every read before answering. ``FLOOR_BULLETIN`` may
name several bulletins, comma-separated (the ones a TAXII page opens): each is opened, and the
one record names them all.

``DATABASE_URL=... SECRET_KEY=... ISCHIA_MASTER_KEY=... FLOOR_BULLETIN=<id> FLOOR_ORG=<code>
gunicorn -w 2 --threads 4 --chdir bench api_floor_app:app``; a benchmark baseline on 127.0.0.1.
"""

from __future__ import annotations

import os

from flask import Flask, Response
from sqlalchemy.orm import Session

from portal import create_app
from portal.extensions import db
from portal.models import Bulletin
from portal.services import audit
from portal.services.bulletins.reading import OpenedBulletin, open_bulletin
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor

portal = create_app()
BULLETINS = os.environ["FLOOR_BULLETIN"].split(",")
ORG = os.environ["FLOOR_ORG"]
ACTOR = Actor(user_id=None, email="floor@bench.example", org_id=None, ip="127.0.0.1")

app = Flask(__name__)


def _record(session: Session) -> None:
    audit.record(session, "bench.floor_read", ACTOR, details={"bulletins": BULLETINS})


@app.route("/read")
def read() -> Response:
    with portal.app_context():
        session = db.session()
        payloads = []
        keyring = org_keys.keyring(ORG)  # once, as a TAXII page loads it
        for bulletin_id in BULLETINS:
            bulletin = session.get(Bulletin, bulletin_id)
            assert bulletin is not None
            opened = open_bulletin(session, ORG, bulletin, keyring=keyring)
            assert isinstance(opened, OpenedBulletin)
            payloads.append(opened.envelope.payload)
        db.commit_together([_record])
        body = payloads[0] if len(payloads) == 1 else b"[" + b",".join(payloads) + b"]"
        return Response(body, mimetype="application/json")
