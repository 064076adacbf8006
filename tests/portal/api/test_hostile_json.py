"""Hostile JSON on every JSON endpoint: always a 4xx with a message, never a 500 or a row.

The endpoints are every route of ``app.url_map`` that takes a POST under /api/, /taxii2/ and
/analysis/ (the workspace's script talks JSON), with real path values (a bulletin, a referral,
the caller's TAXII collection) so that each request reaches the view's reading of its body.
Each gets a fixed list of known 500s from the security test (nesting deeper than the parser
goes, a lone surrogate, a STIX relationship type that is a list...), then bodies that
Hypothesis builds: a JSON value of any shape with the endpoints' own field names, poisoned
somewhere by a construct the portal refuses. Row counts of every table are the same after as
before, but the audit trail's (which records the token's use) and TAXII's statuses (TAXII
answers an envelope it can read with a 202 and a status listing each object's failure).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Base
from portal.services.analysis import org_graphs
from portal.services.json_text import MAX_DEPTH
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.sessions import Clients

PREFIXES = ("/api/", "/taxii2/", "/analysis/")
# POST routes under those prefixes that read no JSON body: a form, or nothing at all.
NO_JSON_BODY = {
    "analysis.export": "a form of node ids (the download is a plain form post)",
    "analysis.delete_investigation": "no body",
    "analysis.revoke_person_decision": "no body",
    "api.acknowledge": "no body",
}
# The audit trail records the token's use; a TAXII status records a post whose objects failed.
NOT_COUNTED = {"audit_records", "audit_head", "audit_checkpoints", "taxii_statuses"}
FIELDS = [
    "title", "summary", "body", "document", "entities", "relations", "recipients", "marking",
    "category", "ids", "investigation", "entity", "filter", "cover_note", "confirm", "items",
    "url", "decision", "reason", "objects", "type", "id", "relationship_type", "source_ref",
    "target_ref", "nodes", "name", "notes", "first", "second", "same", "note", "pdq", "md5",
    "sha256", "platform", "box", "kind", "place", "country", "seen_on",
]  # fmt: skip
DEEP = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
KNOWN = [
    "[" * 100_000 + "]" * 100_000,
    '{"title": ' + "[" * 3000 + "]" * 3000 + "}",
    '{"objects": ' + DEEP + ', "title": ' + DEEP + "}",
    '{"title": "\\ud800x", "name": "\\udfff", "nodes": ["\\ud800"], "objects": []}',
    '{"\\ud800": 1}',
    # NUL in text: PostgreSQL refuses it in any text column (a referral's platform was a 500).
    '{"platform": "\\u0000", "title": "a\\u0000b", "kind": "referral", "items": []}',
    json.dumps(
        {
            "objects": [
                {
                    "type": "relationship",
                    "spec_version": "2.1",
                    "id": "relationship--6e8a07ee-0c8e-4d6e-9b7a-1b7c3c7f2f5e",
                    "created": "2026-01-01T00:00:00Z",
                    "modified": "2026-01-01T00:00:00Z",
                    "relationship_type": ["uses"],
                    "source_ref": ["identity--6e8a07ee-0c8e-4d6e-9b7a-1b7c3c7f2f5e"],
                    "target_ref": {"x": 1},
                }
            ],
            "type": ["bundle"],
            "title": ["x"],
        }
    ),
    "[]",
    '"text"',
    "null",
    "1e999999",
    "{",
    '{"title": "x",}',
    "\xff\xfe{}",
]


def json_endpoints(app: Flask) -> list[tuple[str, str]]:
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIXES) and "POST" in (rule.methods or ())
    ]
    return sorted((rule.rule, rule.endpoint) for rule in rules if rule.endpoint not in NO_JSON_BODY)


def concrete(rule: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        rule = rule.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    assert "<" not in rule, f"give {rule} a value for its path"
    return rule


def row_counts(app: Flask) -> dict[str, int]:
    """Every counted table's rows, read in one statement."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in NOT_COUNTED]
    query = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    with app.app_context():
        counts = db.session().execute(query).one()
    return {table.name: count for table, count in zip(tables, counts, strict=True)}


def scalars() -> st.SearchStrategy[Any]:
    return st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)


def shaped() -> st.SearchStrategy[Any]:
    """JSON values whose objects use the endpoints' own field names (and others)."""
    keys = st.sampled_from(FIELDS) | st.text(max_size=8)
    return st.recursive(
        scalars(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=12,
    )


@st.composite
def hostile(draw: st.DrawFn) -> bytes:
    """A JSON text the portal must refuse: a shaped value with a poison somewhere in it."""
    value = draw(st.dictionaries(st.sampled_from(FIELDS), shaped(), max_size=6))
    marker = "\x00POISON\x00"
    poison = draw(
        st.sampled_from(
            ["deep", "surrogate", "surrogate-key", "nul", "top-level", "bad-bytes", "cut"]
        )
    )
    # The poison goes in at a random path of the value.
    holder: Any = value
    for _ in range(draw(st.integers(0, 3))):
        inner = [v for v in (holder.values() if isinstance(holder, dict) else holder)]
        children = [v for v in inner if isinstance(v, dict | list)]
        if not children:
            break
        holder = draw(st.sampled_from(children))
    if isinstance(holder, dict):
        holder[marker if poison == "surrogate-key" else draw(st.sampled_from(FIELDS))] = marker
    else:
        holder.append(marker)
    text = json.dumps(value)
    if poison == "deep":
        text = text.replace(json.dumps(marker), DEEP)
    elif poison in ("surrogate", "surrogate-key"):
        text = text.replace(json.dumps(marker), '"\\ud83dx"')
    elif poison == "nul":
        text = text.replace(json.dumps(marker), '"x\\u0000"')
    elif poison == "top-level":
        text = json.dumps([value])
    elif poison == "cut":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    data = text.encode()
    if poison == "bad-bytes":
        data = data.replace(json.dumps(marker).encode(), b'"\xc3\x28"')
    return data


class Callers:
    """Who sends each endpoint's requests: a write token, or a signed-in analyst (/analysis)."""

    def __init__(self, app: Flask, desk: Any, token: Any) -> None:
        self.client: FlaskClient = app.test_client()
        self.headers = bearer(token("it.officer", write=True))
        analysts = Clients(app, desk.people)
        self.analyst = analysts["it.analyst"]
        self.csrf = analysts.token("it.analyst")
        collections = self.client.get(
            "/taxii2/api/collections/",
            headers={**self.headers, "Accept": "application/taxii+json;version=2.1"},
        ).json
        assert collections is not None
        self.values = {
            "bulletin_id": desk.post(title="Fuzz target"),
            "collection_id": collections["collections"][0]["id"],
            "referral_id": "RF-000000-0000",
            "investigation_id": "1",
            "decision_id": "1",
            "fmt": "csv",
        }

    def post(self, rule: str, body: bytes) -> Any:
        path = concrete(rule, self.values)
        if path.startswith("/analysis/"):
            headers = {"X-CSRFToken": self.csrf, "Content-Type": "application/json"}
            return self.analyst.post(path, data=body, headers=headers)
        kind = "application/taxii+json;version=2.1" if path.startswith("/taxii2/") else None
        headers = {**self.headers, "Content-Type": kind or "application/json"}
        if kind:
            headers["Accept"] = kind
        return self.client.post(path, data=body, headers=headers)


def refused(response: Any, rule: str, body: bytes) -> None:
    if response.status_code == 202 and rule.startswith("/taxii2/"):
        # TAXII answers an envelope it could read with a status naming each object's fate
        # (TAXII 2.1, 5.5): every object failed, and the status is the only row written.
        status = response.json
        assert status["success_count"] == 0 and status["failure_count"] == status["total_count"]
        return
    assert 400 <= response.status_code < 500, (rule, body[:200], response.status_code)
    answer = response.json
    if isinstance(answer, dict):  # the API's error, or TAXII's error message
        assert (answer.get("error") or {}).get("message") or answer.get("title"), (rule, answer)


@pytest.fixture
def callers(app: Flask, desk: Any, token: Any) -> Iterator[Callers]:
    org_graphs.forget()  # graphs are cached per database URL, which every test shares
    yield Callers(app, desk, token)
    org_graphs.forget()


def test_the_walk_covers_the_json_endpoints(app: Flask) -> None:
    endpoints = {endpoint for _, endpoint in json_endpoints(app)}
    assert set(NO_JSON_BODY) <= set(app.view_functions)
    assert {
        "api.post_bulletin",
        "api.stix_bundle",
        "api.request_briefing_view",
        "taxii.add_objects",
        "analysis.save_investigation",
        "api.create_referral",
        "api.post_comment",
    } <= endpoints


def test_known_hostile_bodies_are_refused_everywhere(app: Flask, callers: Callers) -> None:
    before = row_counts(app)
    for rule, _ in json_endpoints(app):
        for body in KNOWN:
            data = body.encode("latin-1") if body.startswith("\xff") else body.encode()
            refused(callers.post(rule, data), rule, data)
    assert row_counts(app) == before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
def test_generated_hostile_bodies_are_refused(app: Flask, callers: Callers, data: Any) -> None:
    rules = [rule for rule, _ in json_endpoints(app)]
    rule = data.draw(st.sampled_from(rules), label="rule")
    body = data.draw(hostile(), label="body")
    before = row_counts(app)
    refused(callers.post(rule, body), rule, body)
    assert row_counts(app) == before
