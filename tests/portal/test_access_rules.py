"""The access decorators and ``rule_for`` on a bare Flask app, called while the test runs.

The portal's views are decorated when their modules are imported, before any test: a change
to the decorators would be applied (or not) once, at import. These tests decorate views of
their own, so that each rule is attached, and read back, under the test's eyes (mutation
testing: bench/mutation.sh). The deny-by-default walk of every route is in test_security.py.
"""

from __future__ import annotations

from flask import Flask

from portal import access
from portal.models import Role


def _view() -> str:
    return "ok"


def test_each_decorator_attaches_its_rule_to_the_view_itself():
    for decorate, rule in (
        (access.public, access.Rule(public=True)),
        (access.signed_in, access.Rule()),
        (access.api_token, access.Rule(api_token=True)),
        (
            access.roles_required(Role.ANALYST, Role.LIAISON),
            access.Rule(roles=frozenset({Role.ANALYST, Role.LIAISON})),
        ),
        (access.roles_required(Role.SYSADMIN), access.Rule(roles=frozenset({Role.SYSADMIN}))),
    ):

        def view() -> str:
            return "ok"

        assert decorate(view) is view
        assert view.ischia_access_rule == rule  # type: ignore[attr-defined]
        app = Flask(__name__)
        app.add_url_rule("/x", "x", view)
        assert access.rule_for(app, "x") == rule


def test_a_view_without_a_rule_has_none_and_public_endpoints_are_named_per_app():
    app, other = Flask(__name__), Flask(__name__)
    app.add_url_rule("/bare", "bare", _view)
    assert access.rule_for(app, "bare") is None
    assert access.rule_for(app, "unknown") is None
    access.allow_public_endpoint(app, "bare")
    access.allow_public_endpoint(app, "files")
    assert access.rule_for(app, "bare") == access.Rule(public=True)
    assert access.rule_for(app, "files") == access.Rule(public=True)
    other.add_url_rule("/bare", "bare", _view)
    assert access.rule_for(other, "bare") is None  # another app's list is its own
    assert access.Rule() == access.Rule(public=False, roles=frozenset(), api_token=False)
