"""``flask --app wsgi graphs serve``: the machine's graph process (see README, production)."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.services.analysis.graph_server import GraphServer


@click.group("graphs")
def graphs_group() -> None:
    """The organisations' link graphs, held once per machine."""


@graphs_group.command("serve")
@with_appcontext
@click.option("--socket", "path", help="Unix domain socket to listen on (GRAPH_SOCKET).")
def serve(path: str | None) -> None:
    """Hold each organisation's link graph routed to this socket and answer the web workers'
    workspace queries on it. Web workers answer 503 with Retry-After until a graph is built."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    path = path or app.config.get("GRAPH_SOCKET")
    if not path:
        raise click.ClickException("Set ISCHIA_GRAPH_SOCKET (or --socket) to a socket path.")
    server = GraphServer(path, app)
    server.warming = True  # until warm_up has built every graph routed here
    threading.Thread(target=server.warm_up, name="graph-warm-up", daemon=True).start()
    click.echo(f"graph process listening on {path}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
