"""``flask --app wsgi graphs serve``: the machine's graph process (see README, production)."""

from __future__ import annotations

import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.services.analysis import graph_client
from portal.services.analysis.graph_server import GraphServer, SocketInUse


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
    try:
        server = GraphServer(path, app)
    except SocketInUse as taken:
        raise click.ClickException(str(taken)) from None
    except OSError as error:  # no such folder, no right to write there, a path too long
        raise click.ClickException(f"Cannot listen on {path}: {error.strerror or error}.") from None
    server.warming = True  # until warm_up has built every graph routed here
    threading.Thread(target=server.warm_up, name="graph-warm-up", daemon=True).start()
    click.echo(f"graph process listening on {path}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@graphs_group.command("status")
@with_appcontext
@click.option("--socket", "path", help="Ask this socket only (default: every one configured).")
def status(path: str | None) -> None:
    """Whether each graph process answers and has built its graphs: exits 1 if one does not
    answer or is still building (a service manager's or an orchestrator's probe)."""
    addresses = [path] if path else graph_client.addresses(current_app.config)
    if not addresses:
        click.echo("No graph process is configured: the web workers hold the graphs themselves.")
        return
    failing = False
    for address in addresses:
        state = graph_client.probe(address, timeout=2.0)
        routed = state.routed if state.routed is not None else "?"
        built = f"{state.built or 0} of {routed} graphs built"
        if not state.answers:
            line = "does not answer"
        elif not state.understood:
            line = "answers, but not this release's status question (another release?)"
        elif state.failed:
            line = f"answers, building its graphs failed ({built}; see its log)"
        elif state.warming:
            line = f"answers, building ({built})"
        else:
            line = f"answers, {built}"
        click.echo(f"{address}: {line}")
        failing = failing or not state.ready
    if failing:
        raise SystemExit(1)
