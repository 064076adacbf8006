"""The factory's steps, one function each."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from portal import access, errors, i18n, monitoring, rate_limits, request_log, vault
from portal.extensions import csrf, db, limiter, login_manager
from portal.json_input import GuardedJSON
from portal.security import SessionCookies, set_security_headers


def register_extensions(app: Flask) -> None:
    request_log.install()  # no query string (identifiers) in the servers' request logs
    app.json = GuardedJSON(app)  # every get_json refuses too-deep or non-text JSON with a 400
    app.session_interface = SessionCookies()
    db.init_app(app)
    i18n.init_app(app)
    vault.init_app(app)
    csrf.init_app(app)
    rate_limits.refuse_global_limits(app.config)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.login_message_category = "info"
    import portal.principal  # noqa: F401  (registers the user loader)


class RowId(IntegerConverter):
    """``<int:...>`` in every route: a row id the databases can hold, so a huge number in a
    URL is a plain 404 from routing rather than an integer overflow in a query."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int = 0, max: int = 2**31 - 1):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    from portal.admin.views import blueprint as admin
    from portal.analysis.blueprint import load_views as load_analysis
    from portal.api.blueprint import load_views as load_api
    from portal.api.token_pages import blueprint as tokens
    from portal.auth.views import blueprint as auth
    from portal.briefings.blueprint import load_views as load_briefings
    from portal.bulletins.blueprint import load_views
    from portal.dashboard.views import blueprint as dashboard
    from portal.hashbanks.blueprint import load_views as load_hashbanks
    from portal.health.views import blueprint as health
    from portal.referrals.blueprint import load_views as load_referrals
    from portal.taxii.views import blueprint as taxii
    from portal.watchlists.blueprint import load_views as load_watchlists

    for blueprint in (
        auth,
        dashboard,
        load_views(),
        load_briefings(),
        load_analysis(),
        load_api(),
        load_referrals(),
        load_hashbanks(),
        load_watchlists(),
        taxii,
        tokens,
        admin,
        health,
    ):
        app.register_blueprint(blueprint)
    access.allow_public_endpoint(app, "static")


def register_template_globals(app: Flask) -> None:
    from graph.labels import platform_name
    from portal import navigation
    from portal.text_direction import text_dir

    app.jinja_env.globals.update(main_links=navigation.main_links, asset_url=navigation.cached_url)
    app.jinja_env.filters["text_dir"] = text_dir
    # One way of writing a platform ("YouTube", "VK") on every page and in every PDF.
    app.jinja_env.filters["platform_name"] = platform_name


def trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client's address and scheme from the headers the
    last N of them set (and from nothing else): otherwise every request would come from the
    proxy, and the per-address limits and the audit trail would see one address."""
    hops = int(app.config["TRUSTED_PROXIES"])
    if hops:
        # Flask's documented way to add WSGI middleware, though it types wsgi_app as a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_request_hooks(app: Flask) -> None:
    from portal import navigation

    monitoring.init_app(app)
    app.before_request(access.enforce)
    app.after_request(set_security_headers)
    app.after_request(navigation.forget_after_change)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_commands(app: Flask) -> None:
    from portal.cli import commands

    for command in commands:
        app.cli.add_command(command)
