"""Which requests Flask-Limiter looks at: the limited views and blueprints, and nothing else."""

from __future__ import annotations

import pytest
from flask_limiter.util import get_qualified_name

from portal.extensions import limiter
from portal.rate_limits import unlimited


@pytest.mark.parametrize(
    ("method", "path", "limited"),
    [
        ("POST", "/login", True),
        ("POST", "/login/verify", True),
        ("POST", "/login/enrol", True),
        ("POST", "/briefings/verify", True),
        ("GET", "/api/v1/bulletins", True),
        ("GET", "/taxii2/", True),
        ("GET", "/", False),
        ("GET", "/bulletins/", False),
        ("GET", "/admin/users", False),
        ("GET", "/no/such/page", False),
    ],
)
def test_only_limited_views_reach_the_limiter(app, method, path, limited):
    with app.test_request_context(path, method=method):
        assert unlimited() is not limited


def test_every_limit_flask_limiter_holds_is_known_to_the_filter(app):
    """A limit applied with ``limiter.limit`` directly would be skipped by the filter: none is."""
    manager = limiter.limit_manager
    with app.test_request_context("/"):
        limited = {
            endpoint
            for endpoint, view in app.view_functions.items()
            if manager.decorated_limits(get_qualified_name(view))
            or any(manager.blueprint_limits(app, blueprint) for blueprint in _blueprints(endpoint))
        }
    assert {"auth.login", "auth.verify", "api.get_bulletin", "taxii.api_root"} <= limited
    for rule in app.url_map.iter_rules():
        if rule.endpoint in limited:
            path = rule.build({k: "1" for k in rule.arguments}, append_unknown=False)[1]
            with app.test_request_context(path, method=sorted(rule.methods - {"OPTIONS"})[0]):
                assert not unlimited(), rule.endpoint


def _blueprints(endpoint: str) -> list[str]:
    parts = endpoint.split(".")[:-1]
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


@pytest.mark.parametrize("name", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
def test_limits_on_every_view_are_refused_at_start_up(name, database_url, master_key, tmp_path):
    from portal import create_app
    from tests.conftest import test_config

    config = test_config(database_url, master_key, tmp_path, **{name: "100 per minute"})
    with pytest.raises(RuntimeError, match=name):
        create_app(config)
