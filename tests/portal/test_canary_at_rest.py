"""At rest, every route: a canary written through every form and API route that takes text is
nowhere in clear afterwards, in the database, its write-ahead log, the instance folder or the
logs.

``ROUTES`` names every route of ``app.url_map`` that takes a POST, PUT, PATCH or DELETE, in one
of three kinds (``test_the_list_covers_every_writing_route`` proves it complete):

- ``Canary``: text that may name an entity, sealed or never stored. The test sends the canary in
  every text field of it (an identifier, a name, a reason, a note, a password, a file's name and
  bytes) and checks that the route did its work (a 2xx or a redirect to the result).
- ``Clear``: text stored in clear by design, naming the columns it lands in; each is in
  ``tests/portal/test_text_columns.py``'s ``TYPED_IN_CLEAR`` with the reason (the directory,
  labels, what is referred to a platform). These get no canary: it would be found, rightly.
- ``NoText``: ids, choices, ticks, digests or codes only.

``SEARCHES`` are the GET routes that take an identifier (the searches): they get the canary
too. Everything runs in ONE test per backend on the bulletins desk, so the whole walk costs
seconds: the routes are sent one after the other, then the files are read once.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.models import Bulletin, Organisation, User
from portal.services.accounts import api_tokens
from portal.services.analysis import org_graphs
from portal.services.principals import CLI
from portal.services.referrals import authorities
from portal.services.watchlists import mail
from tests.conftest import World
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.compose_posts import fields as compose_fields
from tests.portal.bulletins.compose_posts import post as compose_post
from tests.portal.bulletins.conftest import PNG, Desk
from tests.portal.bulletins.form_state import FormState
from tests.portal.bulletins.sessions import Clients
from tests.portal.bulletins.test_at_rest import database_dump, instance_and_logs, leaks
from tests.portal.conftest import PASSWORD, People, csrf_token
from tests.portal.test_text_columns import TYPED_IN_CLEAR

TAXII = "application/taxii+json;version=2.1"


@dataclass
class Walk:
    """The shared state of one walk: the world, who sends, the canary, and what was made."""

    app: Flask
    desk: Desk
    clients: Clients
    make_token: Callable[..., str]
    canary: str
    made: dict[str, Any] = field(default_factory=dict)
    plain: FlaskClient | None = None

    @property
    def handle(self) -> str:
        return self.canary.lower().replace("-", "_")

    def client(self) -> FlaskClient:
        if self.plain is None:
            self.plain = self.app.test_client()
        return self.plain

    def api(self, who: str, *, write: bool = False) -> dict[str, str]:
        key = f"token:{who}:{write}"
        if key not in self.made:
            self.made[key] = bearer(self.make_token(who, write=write))
        return self.made[key]  # type: ignore[no-any-return]

    def form(self, who: str, page: str) -> tuple[FlaskClient, dict[str, Any]]:
        """``who``'s client and the values ``page``'s forms would post (lists kept as lists)."""
        client = self.clients[who]
        shown = client.get(page)
        assert shown.status_code == 200, (page, shown.status_code)
        values = FormState(shown.text).values
        return client, {k: v if len(v) > 1 else v[0] for k, v in values.items()}

    def entities(self) -> list[dict[str, str]]:
        return [
            {"ref": "p1", "type": "person", "value": f"Abu {self.canary}", "role": "recruiter"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": f"@{self.handle}"},
        ]


def done(response: Any, *ok: int) -> Any:
    assert response.status_code in (ok or (200, 201, 202, 302)), (
        response.status_code,
        response.text[:500],
    )
    return response


# -- the routes that get the canary -----------------------------------------------------------


def compose(w: Walk) -> None:
    client = w.clients["it.officer"]
    token = csrf_token(client.get("/bulletins/new").text)
    rows = [
        {"type": "person", "value": f"Abu {w.canary}", "aliases": f"Abu {w.canary} the second"},
        {"type": "account", "platform": "telegram", "value": f"@{w.handle}"},
    ]
    data = compose_fields(
        token,
        title=f"Recruiter {w.canary}",
        summary=f"Summary naming {w.canary}.",
        body=f"The account **{w.canary}** posted again.",
        recipients=["FR-MININT", "DE-BMI"],
        entities=rows,
        relations=[],
        grading_handling="H3",
        grading_conditions=f"Not to be passed to {w.canary}.",
    )
    done(compose_post(client, data, files=[(f"{w.canary}.png", PNG + w.canary.encode())]), 302)
    with w.app.app_context():
        w.made["composed"] = db.session.scalars(
            select(Bulletin.id).order_by(Bulletin.created_at.desc())
        ).first()


def watches(w: Walk) -> None:
    """FR watches the canary's handle (typed) and every entity of the composed bulletin (from
    their pages); its relay is set, so the amendment below queues e-mails too."""
    with w.app.app_context():
        mail.set_relay(CLI, "FR-MININT", host="127.0.0.1", port=9, sender="ischia@fr.example")
    client = w.clients["fr.officer"]
    data = {
        "csrf_token": csrf_token(client.get("/watchlist").text),
        "q": f"@{w.handle}",
        "platform": "telegram",
    }
    done(client.post("/watchlist", data=data), 302)
    client = w.clients["fr.analyst"]
    read = client.get(f"/bulletins/{w.made['composed']}").text
    links = sorted(set(re.findall(r'href="(/entities/[^"]+)"', read)))
    assert len(links) == 2, links
    for link in links:
        page = done(client.get(link), 200)
        done(client.post(f"{link}/watch", data={"csrf_token": csrf_token(page.text)}), 302)


def watch_mail(w: Walk) -> None:
    """The amendment told both watchers; their e-mails fail at the closed relay (its error is
    stored) and the notifications page opens the bulletin's title."""
    for who in ("fr.analyst", "fr.officer"):
        page = done(w.clients[who].get("/watchlist/notifications"), 200)
        assert w.made["amended"] in page.text
    with w.app.app_context():
        assert mail.send_due().retried == 2


def amend(w: Walk) -> None:
    bulletin = w.made["composed"]
    client, data = w.form("it.officer", f"/bulletins/{bulletin}/amend")
    data["title"] = f"Recruiter {w.canary}, amended"
    data["body"] = f"Amended: {w.canary} moved again."
    response = compose_post(client, data, url=f"/bulletins/{bulletin}/amend")
    done(response, 302)
    with w.app.app_context():
        w.made["amended"] = db.session.scalars(
            select(Bulletin.id).where(Bulletin.supersedes_id == bulletin)
        ).one()


def api_post_bulletin(w: Walk) -> None:
    draft = {
        "document": {
            "title": f"API {w.canary}",
            "summary": f"Through the API: {w.canary}.",
            "body": f"Body {w.canary}",
            "entities": w.entities(),
            "relations": [{"source": "p1", "type": "uses_account", "target": "a1"}],
            "grading": {
                "source": "B",
                "information": "2",
                "handling": "H3",
                "conditions": f"Only for {w.canary}'s case.",
            },
            "tags": ['group:jihadist="islamic-state"'],
        },
        "category": "recruitment",
        "marking": "TLP:AMBER",
        "recipients": ["FR-MININT"],
    }
    response = w.client().post(
        "/api/v1/bulletins", json=draft, headers=w.api("uk.officer", write=True)
    )
    w.made["api"] = done(response, 201).json["id"]


def hidden(w: Walk) -> None:
    """Two bulletins naming the canary's handle that FR cannot read (for its requests)."""
    for who in ("it.officer", "uk.officer"):
        w.made[f"hidden:{who}"] = w.desk.post(
            who, ("DE-BMI",), title=f"Hidden {w.canary}", entities=w.entities(), relations=[]
        )


def ask_from_search(w: Walk) -> None:
    client = w.clients["fr.analyst"]
    data = {
        "csrf_token": csrf_token(client.get("/bulletins/search").text),
        "q": f"@{w.handle}",
        "platform": "telegram",
        "org": "IT-MININT",
        "reason": f"Same network as {w.canary}",
    }
    done(client.post("/bulletins/search/ask", data=data), 302)


def ask_about_entity(w: Walk) -> None:
    client = w.clients["fr.analyst"]
    readable = w.made["api"]  # UK-HO sent it to FR-MININT
    page = client.get(f"/bulletins/{readable}")
    data = {
        "csrf_token": csrf_token(page.text),
        "entity": "a1",
        "org": "UK-HO",
        "reason": f"Asked about {w.canary}",
    }
    done(client.post(f"/bulletins/{readable}/ask", data=data), 302)


def stix_export(w: Walk) -> None:
    response = w.client().post(
        "/api/v1/stix/export", json={"ids": [w.made["api"]]}, headers=w.api("fr.analyst")
    )
    w.made["bundle"] = done(response, 200).json


def stix_import(w: Walk) -> None:
    response = w.client().post(
        "/api/v1/stix/import", json=w.made["bundle"], headers=w.api("fr.officer", write=True)
    )
    done(response, 200)


def compose_import(w: Walk) -> None:
    client = w.clients["fr.officer"]
    data = {
        "csrf_token": csrf_token(client.get("/bulletins/new").text),
        "bundle": (io.BytesIO(json.dumps(w.made["bundle"]).encode()), f"{w.canary}.json"),
    }
    response = client.post("/bulletins/new/import", data=data, content_type="multipart/form-data")
    assert w.canary in done(response, 200).text  # the draft is shown, nothing is sent


def taxii_add(w: Walk) -> None:
    headers = {**w.api("fr.officer", write=True), "Accept": TAXII}
    found = w.client().get("/taxii2/api/collections/", headers=headers).json["collections"]
    collection = next(c for c in found if c["can_write"])
    # The report names the recipients (a collection that is not a sharing group's has none).
    stock = [
        {**o, "x_ischia_recipients": ["DE-BMI"]} if o["type"] == "report" else o
        for o in w.made["bundle"]["objects"]
    ]
    response = w.client().post(
        f"/taxii2/api/collections/{collection['id']}/objects/",
        json={"objects": stock},
        headers={**headers, "Content-Type": TAXII},
    )
    status = done(response, 202).json
    assert status["success_count"] > 0, status


def workspace_reads(w: Walk) -> None:
    """The workspace's reads of nodes: the canary's node ids, then the exports of them."""
    org_graphs.forget()
    client = w.clients["fr.analyst"]
    token = csrf_token(client.get("/analysis/").text)
    nodes = [f"account:telegram:{w.handle}", f"name:{w.canary}"]
    for path in ("/analysis/view", "/analysis/timeline"):
        done(client.post(path, json={"nodes": nodes}, headers={"X-CSRFToken": token}), 200, 404)
    for fmt in ("graphml", "csv"):
        response = client.post(
            f"/analysis/export.{fmt}", data={"csrf_token": token, "nodes": nodes}
        )
        done(response, 200, 400, 404)


def save_investigation(w: Walk) -> None:
    client = w.clients["fr.analyst"]
    body = {
        "name": f"Op {w.canary}",
        "notes": f"Notes on {w.canary}",
        "nodes": [f"account:telegram:{w.handle}"],
    }
    token = csrf_token(client.get("/analysis/").text)
    done(client.post("/analysis/investigations", json=body, headers={"X-CSRFToken": token}), 201)


def decide_person(w: Walk) -> None:
    with w.app.app_context(), org_graphs.reading(w.desk.reader("fr.analyst")) as g:
        persons = sorted(
            n
            for n, data in g.nodes(data=True)
            if data.get("type") == "person" and w.canary in str(data.get("label"))
        )
    assert len(persons) >= 2, persons
    client = w.clients["fr.analyst"]
    body = {
        "first": persons[0],
        "second": persons[1],
        "same": False,
        "note": f"Not {w.canary}: other birth date",
    }
    token = csrf_token(client.get("/analysis/").text)
    done(client.post("/analysis/persons/decide", json=body, headers={"X-CSRFToken": token}), 201)


def briefing(w: Walk) -> None:
    client = w.clients["fr.analyst"]
    data = {
        "csrf_token": csrf_token(client.get("/briefings/").text),
        "title": f"Briefing {w.canary}",
        "cover_note": f"For the meeting about {w.canary}",
        "source": "entity",
        "entity": f"@{w.handle}",
        "box": "all",
    }
    done(client.post("/briefings/", data=data), 200, 302)
    response = w.client().post(
        "/api/v1/briefings",
        json={"title": f"API briefing {w.canary}", "cover_note": w.canary, "ids": [w.made["api"]]},
        headers=w.api("fr.analyst", write=True),
    )
    done(response, 200, 201, 202)


def verify_briefing(w: Walk) -> None:
    client = w.clients["fr.analyst"]
    data = {
        "csrf_token": csrf_token(client.get("/briefings/verify").text),
        "pdf": (io.BytesIO(b"%PDF-1.7\n" + w.canary.encode()), f"{w.canary}.pdf"),
    }
    response = client.post("/briefings/verify", data=data, content_type="multipart/form-data")
    done(response, 200, 400, 422)  # not a PDF: refused, and nothing kept


def retract_form(w: Walk) -> None:
    bulletin = w.desk.post("it.officer", ("FR-MININT",), title=f"To retract {w.canary}")
    client = w.clients["it.officer"]
    data = {
        "csrf_token": csrf_token(client.get(f"/bulletins/{bulletin}/retract").text),
        "confirm": "y",
        "reason": f"Source named {w.canary} wrongly",
    }
    done(client.post(f"/bulletins/{bulletin}/retract", data=data), 302)
    tombstone = w.clients["fr.analyst"].get(f"/bulletins/{bulletin}")
    assert f"Source named {w.canary} wrongly" in tombstone.text  # readable by the recipient


def retract_api(w: Walk) -> None:
    bulletin = w.desk.post("it.officer", ("FR-MININT",), title=f"To retract {w.canary}")
    response = w.client().post(
        f"/api/v1/bulletins/{bulletin}/retract",
        json={"confirm": True, "reason": f"API: {w.canary} withdrawn"},
        headers=w.api("it.officer", write=True),
    )
    done(response, 200)
    read = w.client().get(f"/api/v1/bulletins/{bulletin}", headers=w.api("fr.analyst"))
    assert read.json["retraction_reason"] == f"API: {w.canary} withdrawn"


def comments(w: Walk) -> None:
    """A comment and a sighting through the read page's form and through the API: sealed
    under the bulletin version's content key, and read back by a recipient."""
    bulletin = w.desk.post("it.officer", ("FR-MININT",), title=f"To comment {w.canary}")
    client = w.clients["fr.analyst"]
    token = csrf_token(client.get(f"/bulletins/{bulletin}").text)
    for data in (
        {"kind": "comment", "text": f"Seen {w.canary} in Lyon"},
        {"kind": "sighting", "entity": "t1", "place": f"Lyon {w.canary}", "country": "FR",
         "seen_on": "2026-05-02", "note": f"note {w.canary}"},
    ):  # fmt: skip
        done(
            client.post(f"/bulletins/{bulletin}/comments", data={"csrf_token": token, **data}), 302
        )
    for body in (
        {"text": f"API {w.canary}"},
        {"kind": "sighting", "entity": "a1", "place": f"API place {w.canary}",
         "seen_on": "2026-05-01", "note": w.canary},
    ):  # fmt: skip
        response = w.client().post(
            f"/api/v1/bulletins/{bulletin}/comments",
            json=body,
            headers=w.api("it.officer", write=True),
        )
        done(response, 201)
    read = w.client().get(f"/api/v1/bulletins/{bulletin}/comments", headers=w.api("fr.officer"))
    assert [c["verified"] for c in read.json["comments"]] == [True] * 4
    assert read.json["comments"][0]["text"] == f"Seen {w.canary} in Lyon"


def evidence(w: Walk) -> None:
    """Captured evidence of a referral: its file's name and bytes carry the canary."""
    from portal.services.referrals import intake
    from portal.services.referrals.intake import ReferralDraft
    from tests.portal.referrals.conftest import item

    with w.app.app_context():
        with db.write() as session:  # the desk's ministries have no country; referrals need one
            de = session.scalars(select(Organisation).where(Organisation.code == "DE-BMI")).one()
            de.country = "DE"
        authorities.set_competent_authority(CLI, "DE-BMI", True)
        reader = w.desk.reader("de.officer")
        draft = ReferralDraft(platform="PLATFORM-X", kind="referral", items=[item()])
        target = intake.refer(reader, CLI, draft).items[0].id
    client = w.clients["de.officer"]
    page = client.get(f"/referrals/items/{target}/evidence")
    data = {
        "csrf_token": csrf_token(done(page, 200).text),
        "next": "",
        "evidence": (
            io.BytesIO(b"\0\0\0\x18ftypmp42" + w.canary.encode() * 20),
            f"{w.canary}.mp4",
        ),
    }
    response = client.post(
        f"/referrals/items/{target}/evidence", data=data, content_type="multipart/form-data"
    )
    done(response, 302)


def passwords(w: Walk) -> None:
    """A password is never stored or logged: a failed sign-in with the canary as password,
    and a change of password to one made of it (stored as an Argon2id hash only)."""
    failed = w.client().post(
        "/login",
        data={
            "csrf_token": csrf_token(w.client().get("/login").text),
            "email": "analyst@uk.example",
            "password": f"wrong {w.canary}",
        },
    )
    done(failed, 400)
    client = w.clients["uk.analyst"]
    data = {
        "csrf_token": csrf_token(client.get("/account/password").text),
        "current_password": PASSWORD,
        "new_password": f"a long passphrase {w.canary}",
    }
    done(client.post("/account/password", data=data), 302)


def searches(w: Walk) -> None:
    """The GET routes that take an identifier: searched, never stored."""
    for who, path in (
        ("fr.analyst", f"/bulletins/search?q=%40{w.handle}&platform=telegram"),
        ("fr.analyst", f"/analysis/search?q={w.handle}"),
    ):
        done(w.clients[who].get(path), 200)
    api = f"/api/v1/search?q=%40{w.handle}&platform=telegram"
    done(w.client().get(api, headers=w.api("fr.analyst")), 200)


@dataclass(frozen=True)
class Canary:
    send: Callable[[Walk], None]


@dataclass(frozen=True)
class Clear:
    columns: tuple[str, ...]  # where the text lands, each in TYPED_IN_CLEAR


@dataclass(frozen=True)
class NoText:
    why: str


Kind = Canary | Clear | NoText

# Every writing route, by endpoint. The order of the walk is WALK's, below.
ROUTES: dict[str, Kind] = {
    # Bulletins: sealed to their recipients; reasons sealed under the derivation root.
    "bulletins.compose": Canary(compose),
    "bulletins.amend": Canary(amend),
    "api.post_bulletin": Canary(api_post_bulletin),
    "bulletins.ask": Canary(ask_from_search),
    "bulletins.ask_about": Canary(ask_about_entity),
    "api.stix_bundle": Canary(stix_export),
    "api.stix_import": Canary(stix_import),
    "bulletins.import_stix": Canary(compose_import),
    "taxii.add_objects": Canary(taxii_add),
    "bulletins.retract": Canary(retract_form),
    # Watchlists: a blind-index token and the key sealed under the derivation root.
    "watchlists.watchlist": Canary(watches),
    "watchlists.watch_entity": Canary(watches),
    "api.retract": Canary(retract_api),
    "bulletins.comment": Canary(comments),
    "api.post_comment": Canary(comments),
    # Analysis: investigations and decisions sealed; the rest reads the graph.
    "analysis.view": Canary(workspace_reads),
    "analysis.timeline": Canary(workspace_reads),
    "analysis.export": Canary(workspace_reads),
    "analysis.save_investigation": Canary(save_investigation),
    "analysis.decide_person": Canary(decide_person),
    # Briefings: made from sealed bulletins, never stored as text.
    "briefings.create": Canary(briefing),
    "api.request_briefing_view": Canary(briefing),
    "briefings.verify": Canary(verify_briefing),
    # Referral evidence: sealed to the referrer and the platform.
    "referrals.upload_evidence": Canary(evidence),
    # Passwords: hashed.
    "auth.login": Canary(passwords),
    "auth.change_password": Canary(passwords),
    "admin.user_password": NoText("a password, hashed as auth.change_password's, sent above"),
    # Stored in clear by design: the directory, labels, and what a platform must read.
    "admin.organisations": Clear(("organisations.name",)),
    "admin.users": Clear(("users.email", "users.name")),
    "admin.user": Clear(("users.name",)),
    "tokens.create": Clear(("api_tokens.name",)),
    "bulletins.save_filter": Clear(("saved_filters.name", "saved_filters.criteria")),
    "bulletins.groups": Clear(("sharing_groups.name",)),
    "bulletins.group": Clear(("sharing_groups.name",)),
    "hashbanks.add": Clear(("hash_entries.label",)),
    "referrals.refer": Clear(
        ("referral_items.url", "referral_items.reason", "referral_items.account")
    ),
    "api.create_referral": Clear(("referral_items.url", "referral_items.reason")),
    "referrals.bulk_submit": Clear(("referral_bulk_rows.url", "referral_bulk_rows.fields")),
    "api.bulk_upload": Clear(("referral_bulk_rows.url", "referral_bulk_rows.fields")),
    "referrals.queue_bulk": Clear(("referral_items.outcome_note",)),
    "referrals.queue_decide": Clear(("referral_items.outcome_note",)),
    "api.decide_referral": Clear(("referral_items.outcome_note",)),
    "referrals.answer": Clear(("referral_ledger.details",)),
    "referrals.complain": Clear(("referral_ledger.details",)),
    "referrals.withdraw": Clear(("referral_ledger.details",)),
    "referrals.queue_ask": Clear(("referral_ledger.details",)),
    "referrals.queue_provider_complaint": Clear(("referral_ledger.details",)),
    "referrals.queue_reinstate": Clear(("referral_ledger.details",)),
    "referrals.queue_reopen": Clear(("referral_ledger.details",)),
    "referrals.register_webhook": Clear(("webhook_endpoints.url",)),
    "watchlists.mail_relay": Clear(("organisations.smtp_host", "organisations.smtp_from")),
    # No free text.
    "auth.logout": NoText("nothing"),
    "auth.choose_language": NoText("one of five language codes"),
    "auth.enrol": NoText("a TOTP code"),
    "auth.verify": NoText("a TOTP code"),
    "tokens.revoke": NoText("a token id"),
    "admin.audit_verify": NoText("checkpoint files of the portal's own signature"),
    "admin.user_action": NoText("an action on a user id"),
    "analysis.delete_investigation": NoText("an id"),
    "analysis.revoke_person_decision": NoText("an id"),
    "api.acknowledge": NoText("a bulletin id"),
    "bulletins.acknowledge": NoText("a bulletin id"),
    "api.release": NoText("an organisation's code"),
    "bulletins.release": NoText("an organisation's code and a tick"),
    "bulletins.delete_filter": NoText("an id"),
    "bulletins.group_delete": NoText("an id"),
    "bulletins.approve_request": NoText("an id"),
    "bulletins.decline_request": NoText("an id"),
    "bulletins.retention": NoText("a number of days"),
    "api.match_hashes": NoText("hash digests (hexadecimal), refused otherwise"),
    "hashbanks.match": NoText("an image or hash digests"),
    "hashbanks.remove": NoText("an id"),
    "referrals.bulk_run": NoText("a job id"),
    "referrals.queue_claim": NoText("an item id"),
    "referrals.remove_webhook": NoText("nothing"),
    "watchlists.unwatch": NoText("a watch id"),
    "watchlists.seen": NoText("nothing"),
}

# The order of the walk: each step may use what an earlier one made.
WALK = [
    compose,
    watches,
    amend,
    watch_mail,
    api_post_bulletin,
    hidden,
    ask_from_search,
    ask_about_entity,
    stix_export,
    stix_import,
    compose_import,
    taxii_add,
    workspace_reads,
    save_investigation,
    decide_person,
    briefing,
    verify_briefing,
    comments,
    retract_form,
    retract_api,
    evidence,
    passwords,
    searches,
]

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def test_the_list_covers_every_writing_route(app: Flask) -> None:
    writing = {
        rule.endpoint for rule in app.url_map.iter_rules() if WRITES & set(rule.methods or ())
    }
    assert set(ROUTES) == writing, (
        f"classify: {sorted(writing - set(ROUTES))}; gone: {sorted(set(ROUTES) - writing)}"
    )
    sent = {step for kind in ROUTES.values() if isinstance(kind, Canary) for step in [kind.send]}
    assert sent <= set(WALK)
    from tests.portal.test_text_columns import STRUCTURAL

    structural = {f"{table}.{name}" for table, names in STRUCTURAL.items() for name in names}
    for kind in ROUTES.values():
        if isinstance(kind, Clear):
            assert set(kind.columns) <= set(TYPED_IN_CLEAR) | structural, kind


@pytest.fixture
def walk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Walk:
    desk = Desk.loaded(app, people, desk_world)

    def make_token(who: str, *, write: bool = False) -> str:
        with app.app_context():
            user = db.session.get_one(User, desk.users[who])
            return api_tokens.create(user, CLI, f"test {who}", days=1, write=write).token

    org_graphs.forget()  # graphs are cached per database URL, which every test shares
    return Walk(app, desk, Clients(app, people), make_token, f"CANARY-{secrets.token_hex(8)}")


def _postgres_wal(app: Flask) -> Callable[[], bytes]:
    """On PostgreSQL, a reader of the write-ahead log segments written from now on, when the
    server's data directory is on this machine and readable (else it reads nothing: the dump
    is then all that is scanned). SQLite's WAL is part of ``database_dump``."""
    if db_backend(app) != "postgresql":
        return lambda: b""

    def segment(session: Any) -> str:
        return str(session.execute(text("SELECT pg_walfile_name(pg_current_wal_lsn())")).scalar())

    with app.app_context():
        session = db.session()
        try:
            folder = Path(str(session.execute(text("SHOW data_directory")).scalar())) / "pg_wal"
        except SQLAlchemyError:  # not a superuser: the data directory is not shown
            return lambda: b""
        first = segment(session)

    def read() -> bytes:
        with app.app_context():
            session = db.session()
            try:
                session.execute(text("SELECT pg_switch_wal()"))  # nothing left in buffers
            except SQLAlchemyError:  # not allowed: what is on disk is read all the same
                session.rollback()
            last = segment(session)
        try:
            names = sorted(p.name for p in folder.iterdir() if len(p.name) == 24)
        except OSError:
            return b""
        return b"".join((folder / n).read_bytes() for n in names if first <= n <= last)

    return read


def db_backend(app: Flask) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def test_a_canary_through_every_route_is_nowhere_in_clear(
    app: Flask, walk: Walk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wal = _postgres_wal(app)
    for step in WALK:
        step(walk)
    org_graphs.forget()
    data = database_dump(app) + wal() + instance_and_logs(app, caplog.text)
    # The files read are those written to: the bulletins' clear ids are there.
    assert walk.made["composed"].encode() in data and walk.made["api"].encode() in data
    found = {
        text: leaks(data, text)
        for text in (walk.canary, walk.handle, f"account:telegram:{walk.handle}")
    }
    assert found == {text: [] for text in found}


def test_the_walk_would_see_a_canary_typed_in_clear(app: Flask, walk: Walk) -> None:
    """The same scan finds the canary when a route stores it in clear (a token's name), in the
    dump and, on PostgreSQL when its data directory is readable here, in the WAL."""
    wal = _postgres_wal(app)
    with app.app_context():
        user = db.session.get_one(User, walk.desk.users["fr.analyst"])
        api_tokens.create(user, CLI, f"label {walk.canary}", days=1)
    assert leaks(database_dump(app), walk.canary)
    written = wal()
    assert not written or "utf-8" in leaks(written, walk.canary)
    if db_backend(app) == "postgresql":
        print(f"PostgreSQL WAL scanned: {len(written)} bytes")
