"""Property-based run of the OpenAPI description against the app (schemathesis): whatever is
sent, with or without a token, the API answers with a documented status and never a 500."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from portal.extensions import db
from portal.models import User
from portal.services.accounts import api_tokens
from portal.services.principals import CLI
from tests.portal.bulletins.conftest import Desk


def test_the_api_never_fails_on_any_input(app, people, desk_world):
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # hundreds of requests in seconds
    desk = Desk.loaded(app, people, desk_world)
    desk.post(title="Something to list")
    with app.app_context():
        user = db.session.get_one(User, desk.users["it.officer"])
        secret = api_tokens.create(user, CLI, "schemathesis", write=True).token
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        _check_operation(operation, secret)


def _check_operation(operation, secret: str) -> None:
    """Random requests to one operation: 401 without the token, a documented status with it."""
    documented = set(operation.definition.raw.get("responses", {}))

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case) -> None:
        for headers in ({"Authorization": f"Bearer {secret}"}, {}):
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            if not headers:
                assert response.status_code == 401
            else:
                assert str(response.status_code) in documented, (
                    case.method,
                    case.path,
                    response.status_code,
                    response.text[:300],
                )

    check()
