"""The referral-era walls, on every route of ``app.url_map``.

One world per backend holds what ministries exchange among themselves (a bulletin with an
attachment and entities, an investigation, a person decision, a briefing copy, an access
request, a saved filter, a sharing group, a TAXII status, an API token) and referrals from
DE-BMI to PLATFORM-X and PLATFORM-Y with evidence, and a bulk job. Each identity that must not
see them (PLATFORM-X's liaison officer and its organisation administrator, PLATFORM-Y's liaison
officer, and UK-HO's liaison officer and analyst, a ministry that neither made nor received any
of it) asks for every route whose path has a variable twice: once with the real ids of those
objects, once with made-up ids of the same shape. Both answers must be the same refusal (no
existence oracle: same status, same body once the ids are replaced by their names), never a
2xx, a 3xx only when it leads to the same page, and no object's canary text may appear in any
answer. Web routes are asked with a signed-in session (POST with a valid CSRF token),
``/api/v1`` and ``/taxii2`` routes with the identity's write token.

Also: a platform's own item with the other platform's evidence id; FR-MININT, which refers the
same URL and file as DE-BMI (one case at the platform), on every referral route with DE-BMI's
ids; the graph and search questions that take nodes in the query string. Controls (DE-BMI's
officer and analyst, who own the objects) prove that the same walk does see them.

A rule with a variable that no substitution reaches must be listed in :data:`NOT_OBJECT_IDS`
with the reason, so a new route with an id in its path fails here until someone has thought
about who may reach it.
"""

from __future__ import annotations

import base64
import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal.extensions import db
from portal.models import AccessRequest, BriefingState, Bulletin, ReferralItem, User
from portal.services.accounts import api_tokens
from portal.services.analysis import investigations, person_decisions
from portal.services.briefings import copies
from portal.services.bulletins import sealing
from portal.services.bulletins.attachments import Upload
from portal.services.bulletins.inbox import InboxQuery
from portal.services.bulletins.saved_filters import save_filter
from portal.services.discovery import access_requests, hits
from portal.services.hashbanks import banks
from portal.services.hashbanks.banks import EntryDraft
from portal.services.organisations import sharing_groups
from portal.services.principals import CLI
from portal.services.referrals import bulk, evidence
from portal.services.referrals.bulk import BulkUpload
from portal.services.referrals.evidence import EvidenceUpload
from portal.services.stix import taxii
from portal.services.stix.taxii import Match
from portal.services.watchlists import references, watching
from tests.conftest import World, Worlds
from tests.portal.bulletins.conftest import document
from tests.portal.conftest import People, csrf_token, sign_in
from tests.portal.referrals.conftest import NOW, item
from tests.portal.referrals.conftest import World as Parties
from tests.portal.service_checks import actor_of

CANARY = "WALLCANARY"  # every canary below starts with it; none may appear in any answer
ACCOUNT = "account:telegram:example_media"
PHONE = "phone:+33612345678"
TAXII = "application/taxii+json;version=2.1"

# Variables that name no object another organisation owns: substituting "real" and
# "made-up" values would test nothing about the walls.
NOT_OBJECT_IDS: dict[str, str] = {
    "static": "public static files (CSS, JS, fonts); no organisation's data",
    "admin.checkpoint_file": "<name> is a signed checkpoint of the audit chain's head (sequence, "
    "hash, time): every member organisation's admins may download every one",
    "api.audit_checkpoint": "as admin.checkpoint_file, for any API token's own systems",
    "analysis.export": "<fmt> is a closed set of export formats, not an object id; the export "
    "takes the nodes from the form and is covered by the graph test below",
    "auth.script_messages_file": "<language> is one of five language codes: the same messages "
    "for everyone, no organisation's data",
}

# Identities that must see none of the world's objects, and the referral the world made that is
# not theirs (PLATFORM-X's own referral is its to see, so PLATFORM-X users are given
# PLATFORM-Y's, and the reverse).
IDENTITIES = {
    "x": ("x@platform-x.example", "PLATFORM-Y"),
    "x.admin": ("x.admin@platform-x.example", "PLATFORM-Y"),
    "y": ("y@platform-y.example", "PLATFORM-X"),
    "uk": ("uk@uk-ho.example", "PLATFORM-X"),
}
OWN_PLATFORM = {"x": "PLATFORM-X", "x.admin": "PLATFORM-X", "y": "PLATFORM-Y"}
# Analysts see the graph: UK-HO's, who received nothing, and DE-BMI's, the control.
ANALYSTS = {
    "uk.analyst": ("analyst@uk-ho.example", "PLATFORM-X"),
    "de.analyst": ("de.analyst@de-bmi.example", "PLATFORM-X"),
}
# FR-MININT refers the same URL as DE-BMI (one case at PLATFORM-X) and reads the bulletin: it is
# asked only the routes about referrals and bulk jobs, whose ids must stay DE-BMI's own.
CO_REFERRER = ("fr@fr-minint.example", "PLATFORM-X")
REFERRAL_IDS = {"item_id", "referral_id", "evidence_id", "job_id"}
# The referrer, a recipient of the bulletin: the control that sees what the others must not.
CONTROL = ("de@de-bmi.example", "PLATFORM-X")


@dataclass(frozen=True)
class Objects:
    """The ids of the world's objects (and the API tokens of the identities)."""

    common: dict[str, str]  # variable name -> real value, whoever asks
    referrals: dict[str, dict[str, str]]  # platform code -> item_id, referral_id, evidence_id
    tokens: dict[str, str]  # identity -> API token


def _bulletin(parties: Parties, who: str, recipients: list[str], **fields: Any) -> str:
    reader = parties.reader(who)
    uploads = fields.pop("uploads", [])
    draft = sealing.Draft(
        document=document(**fields),
        category="recruitment",
        marking="TLP:AMBER",
        recipients=recipients,
        uploads=[Upload(name, io.BytesIO(data)) for name, data in uploads],
    )
    bulletin: Bulletin = sealing.post_bulletin(reader, actor_of(reader), draft)
    return bulletin.id


def capture(platform: str) -> EvidenceUpload:
    data = b"\x00\x00\x00\x18ftypmp42" + f"{CANARY}-evidence-{platform}".encode() * 20
    return EvidenceUpload(f"{CANARY}-{platform}.mp4", io.BytesIO(data))


def build(app: Flask) -> Objects:
    parties = Parties(app, People(app)).setup()
    parties.users["de.admin"] = parties.people.user(
        "admin@de-bmi.example", "org_admin", org="DE-BMI"
    )
    with app.app_context():
        de, it, fr = parties.reader("de"), parties.reader("it"), parties.reader("fr")
        shared = _bulletin(
            parties,
            "it",
            ["FR-MININT", "DE-BMI"],
            title=f"{CANARY}-bulletin-title",
            summary=f"{CANARY}-bulletin-summary",
            uploads=[("notes.pdf", f"%PDF-1.4\n{CANARY}-attachment\n".encode())],
        )
        hidden = _bulletin(
            parties,
            "it",
            ["DE-BMI"],
            title=f"{CANARY}-hidden-title",
            entities=[
                {"ref": "p1", "type": "person", "value": "Abu Exemple", "role": "recruiter"},
                {"ref": "a1", "type": "account", "platform": "telegram", "value": "@example_media"},
            ],
            relations=[{"source": "p1", "type": "uses_account", "target": "a1"}],
        )
        access_requests.ask_about_query(
            fr, actor_of(fr), "https://t.me/Example_Media", None, "IT-MININT", f"{CANARY}-ask"
        )
        request_id = db.session.scalar(
            select(AccessRequest.id).where(AccessRequest.bulletin_id == hidden)
        )
        analyst = parties.reader("de.analyst")
        investigation = investigations.save(
            analyst, actor_of(analyst), f"{CANARY}-investigation", "", [ACCOUNT, PHONE]
        )
        decision = person_decisions.decide(
            analyst, actor_of(analyst), f"person:{shared}:p1", f"person:{hidden}:p1", same=False
        )
        copy = copies.start_copy(
            analyst,
            actor_of(analyst),
            [db.session.get_one(Bulletin, shared)],
            "TLP:AMBER",
            state=BriefingState.QUEUED,
        )
        saved = save_filter(de, f"{CANARY}-filter", InboxQuery(sender="IT-MININT"))
        admin = parties.reader("de.admin")
        group = sharing_groups.create_group(
            admin, actor_of(admin), f"{CANARY}-group", ["FR-MININT"]
        )
        de_user = db.session.get_one(User, parties.users["de"])
        de_token = api_tokens.create(de_user, CLI, f"{CANARY}-token").token
        token_id = api_tokens.listed(de_user)[0].id

        (collection,) = [c for c in taxii.collections(fr) if c.sender_id == it.org_id]
        found = taxii.collection(fr, collection.id)
        page = taxii.page(fr, found, added_after=None, limit=100, cursor=None, match=Match())
        report = next(o for o, _ in page.objects if o["type"] == "report")
        own = taxii.collection(it, collection.id)
        status = taxii.post_objects(it, actor_of(it), own, {"objects": []}, can_write=True)

        referrals: dict[str, dict[str, str]] = {}
        for platform in ("PLATFORM-X", "PLATFORM-Y"):
            referred = parties.refer(
                "de",
                [
                    item(
                        f"https://video.example/{CANARY}-url-{platform}",
                        reason=f"{CANARY}-reason-{platform}",
                    )
                ],
                platform=platform,
            )
            target = referred.items[0]
            attached = evidence.attach(
                de,
                actor_of(de),
                target.id,
                capture(platform),
                now=NOW,
            )
            if platform == "PLATFORM-X":
                # FR-MININT refers the same URL with the same file: one case at the platform,
                # two referrers who still see only their own items.
                shared_case = parties.refer(
                    "fr",
                    [item(f"https://video.example/{CANARY}-url-{platform}")],
                    platform=platform,
                ).items[0]
                evidence.attach(fr, actor_of(fr), shared_case.id, capture(platform), now=NOW)
                cases = db.session.scalars(
                    select(ReferralItem.case_id).where(
                        ReferralItem.id.in_([target.id, shared_case.id])
                    )
                ).all()
                assert len(set(cases)) == 1, "the two referrals were meant to share a case"
            referrals[platform] = {
                "item_id": target.id,
                "referral_id": referred.referral.id,
                "evidence_id": attached.id,
            }
        csv = (
            "url,category,content_type,account,language,attributed_group,reason,hashes\n"
            f"https://video.example/{CANARY}-bulk,recruitment,video,@recruiter,ar,Front,{CANARY}-bulk,\n"
        )
        submitted = bulk.submit(
            de,
            actor_of(de),
            BulkUpload(platform="PLATFORM-X", kind="referral", data=csv.encode()),
            now=NOW,
        )
        job = bulk.run(submitted.job.id, now=NOW)
        assert job.state == "done"
        # A hash bank of DE-BMI's, read by FR-MININT only.
        bank = banks.create_bank(
            CLI, "DE-BMI", f"{CANARY}-bank", f"{CANARY}-bank-about", readers=["FR-MININT"]
        )
        (entry_id,) = banks.add_entries(
            de, actor_of(de), bank.id, [EntryDraft("pdq", "c3" * 32, label=f"{CANARY}-entry")]
        )

        # DE-BMI's watch of the shared bulletin's account, and its page's reference.
        (watch_id,) = watching.watch_typed(de, actor_of(de), "@example_media", "telegram")
        (reading,) = hits.query_keys(de, "@example_media", "telegram")
        reference = references.reference(de.org_id, reading.key)

        parties.users["uk.analyst"] = parties.people.user(
            "analyst@uk-ho.example", "analyst", org="UK-HO"
        )
        tokens = {}
        for name, (email, _) in {**IDENTITIES, **ANALYSTS, "fr": CO_REFERRER}.items():
            user = db.session.scalar(select(User).where(User.email == email))
            assert user is not None
            # Write tokens: a read-only token is refused every POST before any lookup.
            tokens[name] = api_tokens.create(user, CLI, "walls", write=True).token
        tokens["de"] = de_token  # the control's; its id is also one of the ids asked for
    common = {
        "bulletin_id": shared,
        "index": "0",
        "copy_id": copy.id,
        "job_id": job.id,
        "bank_id": str(bank.id),
        "entry_id": str(entry_id),
        "investigation_id": str(investigation.id),
        "request_id": str(request_id),
        "decision_id": str(decision),
        "filter_id": str(saved.id),
        "group_id": str(group),
        "token_id": str(token_id),
        "user_id": str(parties.users["de"]),
        "action": "disable",
        "collection_id": collection.id,
        "object_id": report["id"],
        "person": f"person:{shared}:p1",
        "status_id": status.id,
        "side": "platform",
        "code": "PLATFORM-X",
        "watch_id": str(watch_id),
        "reference": reference,
    }
    return Objects(common, referrals, tokens)


def made_up(real: dict[str, str]) -> dict[str, str]:
    """Values of the same shape as ``real`` that name nothing."""
    fake: dict[str, str] = {}
    for name, value in real.items():
        if name in ("action", "side"):
            fake[name] = value  # not ids: the same in both requests
        elif name == "person":
            fake[name] = f"person:{uuid.uuid4().hex}:p1"
        elif value.isdigit():
            fake[name] = str(int(value) + 9000)
        elif re.fullmatch(r"[0-9a-f]+", value):
            fake[name] = uuid.uuid4().hex[: len(value)]
        elif "--" in value:
            kind = value.split("--")[0]
            fake[name] = f"{kind}--{uuid.uuid4()}"
        elif re.fullmatch(r"[0-9a-f-]{36}", value):
            fake[name] = str(uuid.uuid4())
        elif name == "code":
            fake[name] = "PLATFORM-Q"
        elif name == "reference":  # an entity page's opaque reference: base64url
            fake[name] = base64.urlsafe_b64encode(os.urandom(len(value) * 3 // 4)).decode()
            fake[name] = fake[name].rstrip("=")
        else:
            raise AssertionError(f"no made-up value for {name}={value}")
    return fake


@pytest.fixture(scope="session")
def walls_world(worlds: Worlds) -> World[Objects]:
    return worlds.build("platform-walls", build)


def rules_with_variables(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.arguments), key=lambda r: r.rule)


def substitutions(objects: Objects, who: str) -> list[tuple[dict[str, str], dict[str, str]]]:
    """(real, made-up) values of variables, as ``who`` should not see them; a rule is asked
    with each pair that names all its variables (the first names every one; the others only
    apply to rules with exactly their variables)."""
    others = {**IDENTITIES, **ANALYSTS, "fr": CO_REFERRER}.get(who, CONTROL)[1]
    real = {**objects.common, **objects.referrals[others], "code": others}
    variants = [(real, made_up(real))]
    # Transparency pages of a ministry: only the ministry's own.
    ministry = {"side": "ministry", "code": "DE-BMI"}
    variants.append((ministry, {"side": "ministry", "code": "ZZ-NOP"}))
    if who in OWN_PLATFORM:
        # The platform's own item with the other platform's evidence: the evidence id alone
        # must not open a file through an item the platform may see.
        mine = objects.referrals[OWN_PLATFORM[who]]["item_id"]
        other = {"item_id": mine, "evidence_id": real["evidence_id"]}
        variants.append((other, {"item_id": mine, "evidence_id": uuid.uuid4().hex}))
    return variants


_NOISE = re.compile(
    r'(name="csrf_token"[^>]*value=")[^"]+|(nonce=")[^"]+|("csrf-token" content=")[^"]+'
)


def normalised(response: TestResponse, values: dict[str, str]) -> str:
    return normalised_text(response.get_data(as_text=True), values)


def normalised_text(text: str, values: dict[str, str]) -> str:
    """``text`` with the values asked for replaced by their names (long ones anywhere, short
    numbers in paths), and with the per-request tokens blanked."""
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[1])):
        if name in ("action", "side"):
            continue
        if len(value) > 4:
            text = text.replace(value, f"<{name}>")
        else:
            text = re.sub(rf"(?<=/){re.escape(value)}(?=[/\"'<\s]|$)", f"<{name}>", text)
    return _NOISE.sub(lambda m: next(g for g in m.groups() if g) + "*", text)


class Asker:
    """One identity's web session and API token, and what it was answered."""

    def __init__(self, app: Flask, people: People, email: str, token: str) -> None:
        self.web = app.test_client()
        sign_in(self.web, people, email)
        page = self.web.get("/")
        assert page.status_code == 200, page.text
        self.csrf = csrf_token(page.text)
        self.api = app.test_client()
        self.token = token

    def ask_and_follow(self, method: str, path: str) -> tuple[TestResponse, TestResponse | None]:
        """The answer, and the page a redirect leads to (read at once: it shows the flashes)."""
        answer = self.ask(method, path)
        if 300 <= answer.status_code < 400 and answer.location:
            return answer, self.ask("GET", answer.location)
        return answer, None

    def ask_query(self, path: str, args: dict[str, str]) -> TestResponse:
        if path.startswith("/api/"):
            return self.api.get(
                path, query_string=args, headers={"Authorization": f"Bearer {self.token}"}
            )
        return self.web.get(path, query_string=args)

    def ask(self, method: str, path: str) -> TestResponse:
        if path.startswith(("/api/", "/taxii2/")):
            headers = {"Authorization": f"Bearer {self.token}"}
            if path.startswith("/taxii2/"):
                headers["Accept"] = TAXII
            if method == "POST":
                ctype = TAXII if path.startswith("/taxii2/") else "application/json"
                return self.api.post(path, headers=headers, data="{}", content_type=ctype)
            return self.api.get(path, headers=headers)
        if method == "POST":
            return self.web.post(path, data={"csrf_token": self.csrf})
        return self.web.get(path)


def compared(
    where: str,
    got: TestResponse,
    control: TestResponse,
    real: dict[str, str],
    fake: dict[str, str],
    *,
    quiet_ok: bool = False,
) -> list[str]:
    """What tells the answer about a real object from the answer about a made-up one (with
    ``quiet_ok``, a 200 is allowed if it is the made-up value's answer too: a search or a graph
    question answers 200 with nothing found)."""
    wrong = []
    # An answer that never reached the route asks nothing: a refused form, token or session.
    text = got.get_data(as_text=True)
    if got.status_code == 401 or "did not come from this portal" in text:
        wrong.append(f"{where}: {got.status_code}, the token or the form was refused")
    if (got.location or "").startswith(("/login", "http://localhost/login")):
        wrong.append(f"{where}: sent to sign in")
    if 200 <= got.status_code < 300 and not quiet_ok:
        wrong.append(f"{where}: {got.status_code}")
    if got.status_code != control.status_code:
        wrong.append(f"{where}: {got.status_code}, made-up id {control.status_code}")
    elif normalised(got, real) != normalised(control, fake):
        wrong.append(f"{where}: the answer differs from the made-up id's")
    elif (got.location or "") and normalised_text(got.location or "", real) != normalised_text(
        control.location or "", fake
    ):
        wrong.append(f"{where}: redirected elsewhere than for the made-up id")
    for response in (got, control):
        if CANARY in response.get_data(as_text=True):
            wrong.append(f"{where}: canary text in the answer")
    return wrong


def walls_of(
    app: Flask,
    asker: Asker,
    objects: Objects,
    who: str,
    methods: tuple[str, ...] = ("GET", "POST"),
    only: set[str] | None = None,
) -> tuple[set[str], list[str]]:
    """Ask every rule with variables; the endpoints covered and what went wrong."""
    covered: set[str] = set()
    wrong: list[str] = []
    adapter = app.url_map.bind("localhost")
    variants = substitutions(objects, who)
    for rule in rules_with_variables(app):
        if rule.endpoint in NOT_OBJECT_IDS or (only is not None and not rule.arguments <= only):
            continue
        asked = [m for m in methods if m in (rule.methods or ())]
        for real, fake in variants:
            if not rule.arguments <= real.keys() or (
                real is not variants[0][0] and rule.arguments != real.keys()
            ):
                continue
            covered.add(rule.endpoint)
            for method in asked:
                real_path = adapter.build(rule.endpoint, {a: real[a] for a in rule.arguments})
                fake_path = adapter.build(rule.endpoint, {a: fake[a] for a in rule.arguments})
                got, got_next = asker.ask_and_follow(method, real_path)
                control, control_next = asker.ask_and_follow(method, fake_path)
                where = f"{who} {method} {real_path} ({rule.endpoint})"
                wrong += compared(where, got, control, real, fake)
                if got_next is not None and control_next is not None:
                    # A form refused before any lookup sends the user back with a message: the
                    # page it leads to (and its message) must not tell the two apart either.
                    wrong += compared(
                        f"{where} -> {got.location}", got_next, control_next, real, fake
                    )
    return covered, wrong


@pytest.fixture
def walls(app: Flask, people: People, walls_world: World[Objects]) -> Iterator[Objects]:
    walls_world.load(app)
    yield walls_world.value


@pytest.mark.parametrize("who", [*sorted(IDENTITIES), "uk.analyst"])
def test_no_route_shows_another_sides_objects(
    app: Flask, people: People, walls: Objects, who: str
) -> None:
    asker = Asker(app, people, {**IDENTITIES, **ANALYSTS}[who][0], walls.tokens[who])
    covered, wrong = walls_of(app, asker, walls, who)
    assert not wrong, "\n".join(wrong)
    every = {r.endpoint for r in rules_with_variables(app)}
    assert covered | NOT_OBJECT_IDS.keys() == every, (
        "rules with variables neither substituted nor listed in NOT_OBJECT_IDS: "
        f"{sorted(every - covered - NOT_OBJECT_IDS.keys())}"
    )
    assert not covered & NOT_OBJECT_IDS.keys()


def test_a_co_referrer_sees_none_of_the_other_ministrys_referral(
    app: Flask, people: People, walls: Objects
) -> None:
    asker = Asker(app, people, CO_REFERRER[0], walls.tokens["fr"])
    covered, wrong = walls_of(app, asker, walls, "fr", only=REFERRAL_IDS)
    assert not wrong, "\n".join(wrong)
    asked = {r.endpoint for r in rules_with_variables(app) if r.arguments <= REFERRAL_IDS}
    assert covered == asked and len(asked) >= 20


def test_the_made_up_values_have_the_real_ones_shape(walls: Objects) -> None:
    for who in IDENTITIES:
        for real, fake in substitutions(walls, who)[:2]:
            for name, value in real.items():
                assert len(fake[name]) == len(value) or value.isdigit(), name
                if name not in ("action", "side"):
                    assert fake[name] != value, name


# Endpoints whose real ids the control (DE-BMI's liaison officer: the referrer, a recipient of
# the bulletin, the owner of the bulk job, the briefing copy and the token) opens: the walk must
# notice every one of them, or its ids, sessions or tokens are not what they seem.
SEEN_BY_CONTROL = {
    "bulletins.read",
    "watchlists.entity",
    "bulletins.attachment",
    "api.get_bulletin",
    "api.attachment",
    "api.bulletin_stix",
    "referrals.sent",
    "referrals.mine_item",
    "referrals.evidence_page",
    "referrals.download_evidence",
    "referrals.bulk_job",
    "api.get_referral",
    "api.bulk_status",
    "taxii.collection",
    "taxii.single_object",
    "referrals.transparency_page",
    "hashbanks.bank",
    "hashbanks.export",
    "api.hash_bank_changes",
}


def test_the_walk_notices_what_the_owner_sees(app: Flask, people: People, walls: Objects) -> None:
    asker = Asker(app, people, CONTROL[0], walls.tokens["de"])
    _, wrong = walls_of(app, asker, walls, "de", methods=("GET",))
    flagged = {m.group(1) for m in (re.search(r"\(([\w.]+)\)", line) for line in wrong) if m}
    assert SEEN_BY_CONTROL <= flagged, sorted(SEEN_BY_CONTROL - flagged)
    assert any("canary text" in line and "(bulletins.read)" in line for line in wrong), (
        "the bulletin's canary was not seen on its own page"
    )


def graph_questions(objects: Objects) -> list[tuple[str, dict[str, str]]]:
    """Routes that take graph nodes or identifiers in the query string, and their arguments
    (``{name}`` stands for the value of ``name``)."""
    return [
        ("/analysis/node", {"node": "{account}"}),
        ("/analysis/neighbourhood", {"node": "{account}"}),
        ("/analysis/persons", {"node": "{person}"}),
        ("/analysis/edge", {"source": "{person}", "target": "{account}", "type": "uses_account"}),
        ("/analysis/paths", {"source": "{person}", "target": "{phone}"}),
        ("/analysis/search", {"q": "{handle}"}),
        ("/api/v1/graph/ego", {"node": "{account}"}),
        ("/api/v1/graph/paths", {"source": "{person}", "target": "{phone}"}),
    ]


# Finding out that some organisation holds a bulletin naming an identifier is how a ministry
# asks for access (discovery): ministries get hits by design, platforms none.
DISCOVERY = [
    ("/bulletins/search", {"q": "{url}"}),
    ("/api/v1/search", {"q": "{url}"}),
]


@pytest.mark.parametrize("who", [*sorted(IDENTITIES), "uk.analyst"])
def test_no_graph_node_or_identifier_answers(
    app: Flask, people: People, walls: Objects, who: str
) -> None:
    email = {**IDENTITIES, **ANALYSTS}[who][0]
    asker = Asker(app, people, email, walls.tokens[who])
    real = {
        "account": ACCOUNT,
        "phone": PHONE,
        "person": walls.common["person"],
        "handle": "example_media",
        "url": "https://t.me/Example_Media",
    }
    fake = {
        "account": "account:telegram:nobody_here",
        "phone": "phone:+33699999999",
        "person": made_up({"person": real["person"]})["person"],
        "handle": "nobody_here",
        "url": "https://t.me/Nobody_Here",
    }
    questions = graph_questions(walls) + (DISCOVERY if who in OWN_PLATFORM else [])
    wrong: list[str] = []
    for path, args in questions:
        got = asker.ask_query(path, {k: v.format(**real) for k, v in args.items()})
        control = asker.ask_query(path, {k: v.format(**fake) for k, v in args.items()})
        wrong += compared(f"{who} GET {path}", got, control, real, fake, quiet_ok=True)
    assert not wrong, "\n".join(wrong)


def test_the_analyst_control_finds_its_nodes_copy_and_investigation(
    app: Flask, people: People, walls: Objects
) -> None:
    """DE-BMI's analyst owns the briefing copy and the investigation and sees the nodes: the
    questions the others are refused are answered for the analyst, so they ask for real."""
    asker = Asker(app, people, ANALYSTS["de.analyst"][0], walls.tokens["de.analyst"])
    real = {
        "account": ACCOUNT,
        "phone": PHONE,
        "person": walls.common["person"],
        "handle": "example_media",
    }
    for path, args in graph_questions(walls):
        got = asker.ask_query(path, {k: v.format(**real) for k, v in args.items()})
        assert got.status_code == 200, (path, got.status_code, got.text[:300])
    for path in (
        f"/briefings/{walls.common['copy_id']}",
        f"/analysis/investigations/{walls.common['investigation_id']}",
    ):
        assert asker.ask("GET", path).status_code == 200, path
    assert asker.ask("GET", f"/api/v1/briefings/{walls.common['copy_id']}").status_code == 200


def allowed_canaries(who: str) -> set[str]:
    """The canaries ``who`` may read: its own platform's referral (and the bulk job's item,
    referred to PLATFORM-X); nothing of what ministries exchange."""
    own = OWN_PLATFORM.get(who)
    if own is None:
        return set()
    allowed = {f"{CANARY}-{kind}{own}" for kind in ("url-", "reason-", "evidence-", "")}
    allowed.add(f"{CANARY}-{own}.mp4")
    return allowed | ({f"{CANARY}-bulk"} if own == "PLATFORM-X" else set())


_CANARIES = re.compile(rf"{CANARY}-[\w-]+(?:\.mp4)?")


@pytest.mark.parametrize("who", [*sorted(IDENTITIES), "uk.analyst"])
def test_no_page_without_ids_shows_another_sides_objects(
    app: Flask, people: People, walls: Objects, who: str
) -> None:
    """Every GET route without variables (inboxes, queues, lists, the API's and TAXII's lists)
    as ``who``: no canary but its own platform's referral."""
    asker = Asker(app, people, {**IDENTITIES, **ANALYSTS}[who][0], walls.tokens[who])
    allowed = allowed_canaries(who)
    wrong = []
    everything: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in (rule.methods or ()):
            continue
        answer = asker.ask("GET", rule.rule)
        if answer.status_code >= 500:
            wrong.append(f"{who} GET {rule.rule}: {answer.status_code}")
        seen = set(_CANARIES.findall(answer.get_data(as_text=True)))
        everything |= seen
        if seen - allowed:
            wrong.append(f"{who} GET {rule.rule}: {sorted(seen - allowed)}")
    assert not wrong, "\n".join(wrong)
    if who in ("x", "y"):  # the liaison officers' queues list their own referral
        assert f"{CANARY}-url-{OWN_PLATFORM[who]}" in everything


def test_the_pages_without_ids_show_the_owner_its_objects(
    app: Flask, people: People, walls: Objects
) -> None:
    asker = Asker(app, people, CONTROL[0], walls.tokens["de"])
    seen: set[str] = set()
    for path in ("/bulletins/", "/referrals/mine", "/api/v1/bulletins", "/api/v1/referrals"):
        seen |= set(_CANARIES.findall(asker.ask("GET", path).get_data(as_text=True)))
    assert {f"{CANARY}-bulletin-title", f"{CANARY}-url-PLATFORM-Y"} <= seen, seen
