"""The REST API: tokens as the only credential, the same access rules as the web, JSON errors
that name the field, nothing written on bad input."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import ApiToken, AuditRecord, Bulletin, User, utcnow
from portal.services.errors import NotFound
from portal.services.principals import Actor
from tests.portal.api.conftest import bearer
from tests.portal.bulletins.conftest import document


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


API_ROUTES = [
    ("GET", "/api/v1/bulletins"),
    ("GET", "/api/v1/bulletins/" + "0" * 32),
    ("POST", "/api/v1/bulletins"),
    ("POST", "/api/v1/bulletins/" + "0" * 32 + "/acknowledge"),
    ("GET", "/api/v1/search?q=x"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_route_is_401_without_a_valid_token(app, client, desk, token, method, path):
    for headers in (
        {},
        {"Authorization": "Bearer isk_not-a-token"},
        {"Authorization": "Basic !!!"},
        {"X-User-Id": str(desk.users["fr.analyst"]), "X-Org": "FR-MININT"},
        {"Authorization": f"Bearer {desk.users['fr.analyst']}"},
    ):
        response = client.open(path, method=method, headers=headers, json={})
        assert response.status_code == 401, (headers, response.status_code)
        assert response.json["error"]["code"] == 401
        assert "Bearer" in response.headers["WWW-Authenticate"]


def test_a_signed_in_cookie_is_not_a_credential(desk, token):
    from tests.portal.bulletins.sessions import Clients

    clients = Clients(desk.app, desk.people)
    assert clients["fr.analyst"].get("/api/v1/bulletins").status_code == 401


def test_expired_revoked_and_disabled_tokens_stop_working(app, client, desk, token):
    from portal.services.accounts import api_tokens
    from portal.services.principals import CLI

    expired, revoked, good = token("fr.analyst"), token("fr.analyst"), token("fr.analyst")
    for secret in (expired, revoked, good):
        assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    with app.app_context():
        rows = list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == rows[0].id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        api_tokens.revoke(db.session.get_one(User, desk.users["fr.analyst"]), CLI, rows[1].id)
    assert client.get("/api/v1/bulletins", headers=bearer(expired)).status_code == 401
    assert client.get("/api/v1/bulletins", headers=bearer(revoked)).status_code == 401
    assert client.get("/api/v1/bulletins", headers=bearer(good)).status_code == 200
    with app.app_context():
        db.session.execute(
            update(User).where(User.id == desk.users["fr.analyst"]).values(active=False)
        )
        db.session.commit()
    assert client.get("/api/v1/bulletins", headers=bearer(good)).status_code == 401


def test_basic_auth_with_the_token_as_password(client, desk, token):
    secret = token("fr.analyst")
    basic = base64.b64encode(f"anything:{secret}".encode()).decode()
    response = client.get("/api/v1/bulletins", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200


def test_list_filters_and_cursor_pages(client, desk, token):
    ids = [desk.post(title=f"Bulletin {i}") for i in range(5)]
    desk.post(title="Money", category="financing")
    headers = bearer(token("fr.analyst"))
    first = client.get("/api/v1/bulletins?limit=3&category=recruitment", headers=headers).json
    assert len(first["bulletins"]) == 3 and first["next_cursor"]
    second = client.get(
        f"/api/v1/bulletins?limit=3&category=recruitment&cursor={first['next_cursor']}",
        headers=headers,
    ).json
    seen = [b["id"] for b in first["bulletins"] + second["bulletins"]]
    assert sorted(seen) == sorted(ids) and second["next_cursor"] is None
    assert all(b["title"].startswith("Bulletin") for b in first["bulletins"])


def test_get_returns_content_and_verification_and_404_for_others(client, desk, token):
    shared = desk.post(title="For FR")
    hidden = desk.post(title="Not for FR", recipients=("DE-BMI",))
    headers = bearer(token("fr.analyst"))
    body = client.get(f"/api/v1/bulletins/{shared}", headers=headers).json
    assert body["content"]["title"] == "For FR"
    assert (
        body["verification"]["valid"] is True and body["verification"]["signed_by"] == "IT-MININT"
    )
    for bulletin_id in (hidden, "0" * 32, "not-an-id"):
        response = client.get(f"/api/v1/bulletins/{bulletin_id}", headers=headers)
        assert response.status_code == 404 and "Not for FR" not in response.text
    platform = bearer(token("platform"))
    assert client.get(f"/api/v1/bulletins/{shared}", headers=platform).status_code == 404


def _draft(**changes):
    draft = {
        "document": document("Posted through the API"),
        "category": "recruitment",
        "marking": "TLP:AMBER",
        "recipients": ["FR-MININT"],
    }
    draft.update(changes)
    return draft


def test_post_needs_the_write_scope_and_the_liaison_role(app, client, desk, token):
    assert (
        client.post(
            "/api/v1/bulletins", json=_draft(), headers=bearer(token("it.officer"))
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/bulletins", json=_draft(), headers=bearer(token("it.analyst", write=True))
        ).status_code
        == 403
    )
    made = client.post(
        "/api/v1/bulletins", json=_draft(), headers=bearer(token("it.officer", write=True))
    )
    assert made.status_code == 201
    fr = client.get(f"/api/v1/bulletins/{made.json['id']}", headers=bearer(token("fr.analyst")))
    assert fr.json["content"]["title"] == "Posted through the API"


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (_draft(category="gardening"), "category"),
        (_draft(marking="TLP:PURPLE"), "marking"),
        (_draft(recipients=["XX-NOWHERE"]), "recipients"),
        (_draft(recipients="FR-MININT"), "recipients"),
        (_draft(groups=["one"]), "groups"),
        (_draft(retain_until="tomorrow"), "retain_until"),
        (_draft(document="text"), "document"),
        (_draft(document=document("")), "title"),
        (
            _draft(document=document("x", entities=[{"ref": "p1", "type": "alien"}])),
            "entities[0].type",
        ),
        (
            _draft(
                document=document(
                    "x", relations=[{"source": "p1", "type": "recruited", "target": "nobody"}]
                )
            ),
            "relations[0].target",
        ),
    ],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(
    app, client, desk, token, draft, field
):
    before = (_count(app, Bulletin), _count(app, AuditRecord))
    headers = bearer(token("it.officer", write=True))
    after_token = _count(app, AuditRecord)
    response = client.post("/api/v1/bulletins", json=draft, headers=headers)
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field and response.json["error"]["message"]
    assert _count(app, Bulletin) == before[0]
    # Only the token's use is audited; nothing of the refused bulletin.
    assert _count(app, AuditRecord) == after_token + 1


def test_not_json_is_a_clear_400(client, desk, token):
    response = client.post(
        "/api/v1/bulletins",
        data="{not json",
        content_type="application/json",
        headers=bearer(token("it.officer", write=True)),
    )
    assert response.status_code == 400 and response.json["error"]["message"]


def test_acknowledge_once(client, desk, token):
    bid = desk.post()
    headers = bearer(token("fr.analyst", write=True))
    first = client.post(f"/api/v1/bulletins/{bid}/acknowledge", headers=headers)
    assert first.status_code == 200 and first.json["acknowledged_by"] == "FR-MININT"
    assert client.post(f"/api/v1/bulletins/{bid}/acknowledge", headers=headers).status_code == 409


def test_search_gives_hit_no_hit_for_the_rest(client, desk, token):
    desk.post(title="Hidden", recipients=("DE-BMI",))
    response = client.get(
        "/api/v1/search",
        query_string={"q": "@example_media", "platform": "telegram"},
        headers=bearer(token("fr.analyst")),
    ).json
    assert response["readable"] == [] and response["hidden"] == [{"org": "IT-MININT", "count": 1}]


def test_token_use_and_every_action_are_audited(app, client, desk, token):
    bid = desk.post()
    secret = token("fr.analyst")
    client.get("/api/v1/bulletins", headers=bearer(secret))
    client.get(f"/api/v1/bulletins/{bid}", headers=bearer(secret))
    with app.app_context():
        records = list(db.session.scalars(select(AuditRecord).order_by(AuditRecord.seq)))
    uses = [r.details["endpoint"] for r in records if r.event == "api_token.used"]
    assert uses == ["api.list_bulletins", "api.get_bulletin"]
    reads = [r for r in records if r.event == "bulletin.read"]
    assert reads and reads[-1].details["bulletin"] == bid
    assert reads[-1].actor_user_id == desk.users["fr.analyst"]


def test_openapi_describes_every_route(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/bulletins", "/api/v1/bulletins/{bulletin_id}", "/api/v1/search"} <= set(
        spec["paths"]
    )
    assert "post" in spec["paths"]["/api/v1/bulletins"]


def test_tokens_cli_prints_a_token_that_works(app, client, desk, runner):
    result = runner.invoke(args=["tokens", "create", "analyst@fr.example", "--name", "cli"])
    assert result.exit_code == 0
    secret = result.stdout.strip().splitlines()[0]
    assert secret.startswith("isk_")
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
    bad = runner.invoke(
        args=["tokens", "create", "analyst@fr.example", "--name", "x", "--expires", "900"]
    )
    assert bad.exit_code != 0 and "--expires" in bad.output


def test_release_retract_and_attachments_through_the_api(client, desk, token):
    from tests.portal.bulletins.conftest import PNG

    bid = desk.post(title="With a file", recipients=("FR-MININT",), uploads=[("map.png", PNG)])
    officer = bearer(token("it.officer", write=True))
    fr = bearer(token("fr.analyst"))
    uk = bearer(token("uk.analyst"))
    file = client.get(f"/api/v1/bulletins/{bid}/attachments/0", headers=fr)
    assert file.status_code == 200 and file.data == PNG
    assert client.get(f"/api/v1/bulletins/{bid}/attachments/0", headers=uk).status_code == 404
    not_yours = client.post(
        f"/api/v1/bulletins/{bid}/release",
        json={"org": "UK-HO"},
        headers=bearer(token("fr.officer", write=True)),
    )
    assert not_yours.status_code in (403, 404)
    released = client.post(
        f"/api/v1/bulletins/{bid}/release", json={"org": "UK-HO"}, headers=officer
    )
    assert released.status_code == 200 and released.json["released_to"] == "UK-HO"
    assert client.get(f"/api/v1/bulletins/{bid}", headers=uk).status_code == 200
    unconfirmed = client.post(
        f"/api/v1/bulletins/{bid}/retract", json={"confirm": False}, headers=officer
    )
    assert unconfirmed.status_code == 400 and unconfirmed.json["error"]["field"] == "confirm"
    wrong_reason = client.post(
        f"/api/v1/bulletins/{bid}/retract", json={"confirm": True, "reason": 7}, headers=officer
    )
    assert wrong_reason.status_code == 400 and wrong_reason.json["error"]["field"] == "reason"
    retracted = client.post(
        f"/api/v1/bulletins/{bid}/retract",
        json={"confirm": True, "reason": "Source withdrew it."},
        headers=officer,
    )
    assert retracted.status_code == 200 and retracted.json["retracted"] == [bid]
    after = client.get(f"/api/v1/bulletins/{bid}", headers=fr).json
    assert "content" not in after and after["state"] == "retracted"
    assert after["retraction_reason"] == "Source withdrew it."


def test_graph_endpoints_are_for_analysts(client, desk, token):
    desk.post(title="Graph")
    analyst = bearer(token("fr.analyst"))
    ego = client.get(
        "/api/v1/graph/ego",
        query_string={"node": "account:telegram:example_media"},
        headers=analyst,
    )
    assert ego.status_code == 200 and ego.json["elements"]["nodes"]
    shared = client.get("/api/v1/graph/shared", headers=analyst)
    assert shared.status_code == 200 and isinstance(shared.json["shared"], list)
    officer = bearer(token("fr.officer"))
    assert client.get("/api/v1/graph/shared", headers=officer).status_code == 403


def test_requests_are_limited_per_token(app, client, desk, token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = bearer(token("fr.analyst")), bearer(token("de.analyst"))
    answers = [client.get("/api/v1/bulletins", headers=first).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get("/api/v1/bulletins", headers=second).status_code == 200
    limited = client.get("/api/v1/bulletins", headers=first)
    assert limited.json["error"]["code"] == 429


def test_tokens_stop_when_the_password_or_second_factor_is_reset(app, client, desk, token):
    from portal.services.accounts import directory as accounts

    admin = desk.people.user("admin@fr.example", "org_admin", org="FR-MININT")
    for reset in ("mfa", "password"):  # after a password reset no token works until it changes
        secret = token("fr.analyst")
        assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 200
        with app.app_context():
            actor = Actor.of(db.session.get_one(User, admin))
            if reset == "password":
                accounts.reset_password(
                    actor, desk.users["fr.analyst"], "a new temporary passphrase"
                )
            else:
                accounts.reset_second_factor(actor, desk.users["fr.analyst"])
        assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 401


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/bulletins?limit=%C2%B2", "limit"),
        ("/api/v1/bulletins?until=9999-12-31", None),
        ("/api/v1/bulletins?cursor=MjAyNi0wMS0wMXx4", None),
    ],
)
def test_odd_list_parameters_are_answered_not_failed(client, desk, token, path, field):
    response = client.get(path, headers=bearer(token("fr.analyst")))
    assert response.status_code in (200, 400)
    if field:
        assert response.status_code == 400 and response.json["error"]["field"] == field


def test_group_ids_out_of_range_are_400(client, desk, token):
    draft = _draft(groups=[2**70])
    response = client.post(
        "/api/v1/bulletins", json=draft, headers=bearer(token("it.officer", write=True))
    )
    assert response.status_code == 400 and response.json["error"]["field"] == "groups"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_how_a_token_may_and_may_not_be_presented(client, desk, token):
    secret = token("fr.analyst")
    accepted = [
        {"Authorization": f"bearer {secret}"},
        {"Authorization": f"BEARER {secret}"},
        {"Authorization": f"Bearer {secret}  "},
        {"Authorization": f"basic {base64.b64encode(f':{secret}'.encode()).decode()}"},
        _basic("", secret),
    ]
    for headers in accepted:
        assert client.get("/api/v1/bulletins", headers=headers).status_code == 200, headers
    refused = [
        {"Authorization": secret},  # no scheme
        {"Authorization": f"Token {secret}"},
        {"Authorization": "Bearer "},
        {"Authorization": f"Bearer{secret}"},
        _basic(secret, ""),  # the token as the user name is not a password
        {"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()},  # no colon
        {"Authorization": "Basic " + base64.b64encode(b"x:\xff\xfe").decode()},  # not UTF-8
        {"Authorization": f"Basic {secret}"},  # not base64
        {"Authorization": f"Bearer {secret[:-1]}"},
        {"Authorization": f"Bearer {secret}x"},
        {"Authorization": f"Bearer {secret.removeprefix('isk_')}"},
    ]
    for headers in refused:
        response = client.get("/api/v1/bulletins", headers=headers)
        assert response.status_code == 401, headers
        assert response.json == {
            "error": {"code": 401, "message": "A valid API token is required.", "field": None}
        }
        assert response.headers["WWW-Authenticate"] == (
            'Bearer realm="ischia", Basic realm="ischia"'
        )


def test_only_the_prefixed_form_of_a_stored_token_and_no_overlong_one_is_looked_up(
    app, client, desk
):
    from portal.services.accounts import api_tokens

    user_id = desk.users["fr.analyst"]
    with app.app_context():
        expires = utcnow() + timedelta(days=1)
        for text in ("unprefixed-" + "a" * 40, "isk_" + "b" * 97, "isk_" + "c" * 96):
            db.session.add(
                ApiToken(
                    user_id=user_id,
                    name=text[:20],
                    prefix=text[:10],
                    token_hash=api_tokens._hash(text),
                    can_write=False,
                    created_at=utcnow(),
                    expires_at=expires,
                )
            )
        db.session.commit()
    # Stored, but not in the form the portal issues (its prefix, at most 100 characters).
    assert (
        client.get("/api/v1/bulletins", headers=bearer("unprefixed-" + "a" * 40)).status_code == 401
    )
    assert client.get("/api/v1/bulletins", headers=bearer("isk_" + "b" * 97)).status_code == 401
    assert client.get("/api/v1/bulletins", headers=bearer("isk_" + "c" * 96)).status_code == 200


def test_a_user_who_must_change_their_password_has_no_working_token(app, client, desk, token):
    secret = token("fr.analyst")
    with app.app_context():
        db.session.execute(
            update(User)
            .where(User.id == desk.users["fr.analyst"])
            .values(must_change_password=True)
        )
        db.session.commit()
    assert client.get("/api/v1/bulletins", headers=bearer(secret)).status_code == 401


def test_a_use_is_recorded_on_the_token_and_its_scope_is_the_tokens(app, client, desk, token):
    read_only, writer = token("it.officer"), token("it.officer", write=True)
    with app.app_context():
        assert all(r.last_used_at is None for r in db.session.scalars(select(ApiToken)))
    assert client.get("/api/v1/bulletins", headers=bearer(read_only)).status_code == 200
    with app.app_context():
        rows = list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))
        assert rows[0].last_used_at is not None and rows[1].last_used_at is None
        used = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event == "api_token.used")
        ).one()
        assert used.details == {"token": rows[0].id, "endpoint": "api.list_bulletins"}
        assert used.actor_user_id == used.subject_user_id == desk.users["it.officer"]
        officer = db.session.get_one(User, desk.users["it.officer"])
        assert (used.actor_email, used.actor_org_id, used.ip) == (
            officer.email,
            officer.organisation_id,
            "127.0.0.1",
        )
    draft = _draft()
    assert (
        client.post("/api/v1/bulletins", json=draft, headers=bearer(read_only)).status_code == 403
    )
    assert client.post("/api/v1/bulletins", json=draft, headers=bearer(writer)).status_code == 201


def test_revoking_one_token_leaves_the_others_and_revoke_all_ends_every_live_one(
    app, client, desk, token
):
    from portal.services.accounts import api_tokens
    from portal.services.principals import CLI

    first, second = token("fr.analyst"), token("fr.analyst")
    other = token("de.analyst")
    with app.app_context():
        ids = list(db.session.scalars(select(ApiToken.id).order_by(ApiToken.id)))
        fr_user = db.session.get_one(User, desk.users["fr.analyst"])
        api_tokens.revoke(fr_user, CLI, ids[0])
        api_tokens.revoke(fr_user, CLI, ids[0])  # twice: recorded once
        revoked = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event == "api_token.revoked")
        ).all()
        assert [r.details for r in revoked] == [{"token": ids[0]}]
        assert [r.subject_user_id for r in revoked] == [desk.users["fr.analyst"]]
        with pytest.raises(NotFound):
            api_tokens.revoke(fr_user, CLI, ids[2])  # the DE analyst's
    assert client.get("/api/v1/bulletins", headers=bearer(first)).status_code == 401
    assert client.get("/api/v1/bulletins", headers=bearer(second)).status_code == 200
    with app.app_context(), db.write() as session:
        assert api_tokens.revoke_all(session, desk.users["fr.analyst"]) == 1
    with app.app_context(), db.write() as session:
        assert api_tokens.revoke_all(session, desk.users["fr.analyst"]) == 0  # none left
    assert client.get("/api/v1/bulletins", headers=bearer(second)).status_code == 401
    assert client.get("/api/v1/bulletins", headers=bearer(other)).status_code == 200
