"""Ischia: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from portal import config as settings

REPOSITORY = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal. ``test_config`` replaces the environment entirely (tests, benchmarks)."""
    app = Flask(
        __name__,
        instance_path=os.fspath(REPOSITORY / "instance"),
        template_folder=os.fspath(REPOSITORY / "templates"),
    )
    if test_config is None:
        app.config.update(settings.from_environment(os.environ, Path(app.instance_path)))
    else:
        app.config.update(settings.defaults(Path(app.instance_path)))
        app.config.update(test_config)
    settings.finalise(app.config)

    from portal.factory_steps import (
        register_blueprints,
        register_commands,
        register_errorhandlers,
        register_extensions,
        register_request_hooks,
        register_template_globals,
        trust_proxies,
    )

    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_globals(app)
    trust_proxies(app)
    register_errorhandlers(app)
    register_commands(app)
    return app
