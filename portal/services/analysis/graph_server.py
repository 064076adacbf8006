"""The machine's graph process: each organisation's link graph held once, for every web worker.

``flask --app wsgi graphs serve`` runs :class:`GraphServer` on the Unix domain socket of
``GRAPH_SOCKET`` (or ``--socket``). It answers the protocol of :mod:`graph_client` with the
queries of :mod:`graph_queries`, on the graphs of :mod:`org_graphs`, which keep their freshness
rules (a stamp checked on every query), so new bulletins show up as in the web worker.

Isolation: the reader a query runs for is built here from the organisation's row (its code
is the only thing a request names), and a request for an organisation whose graph is routed to
another graph process (``GRAPH_SOCKETS``) is refused (``not_routed``). The socket file is made
readable and writable by its owner and group only; it must never be exposed beyond the
machine (no TCP).

While the graph process starts it builds its organisations' graphs one by one; a query for an
organisation whose graph is not built yet answers ``unavailable`` with a retry hint, which the
web side turns into 503 with Retry-After.
"""

from __future__ import annotations

import fcntl
import inspect
import json
import logging
import os
import socket
import socketserver
import stat
import threading
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.i18n import speaking
from portal.models import Organisation, Role
from portal.services.analysis import graph_client, graph_queries, org_graphs
from portal.services.analysis.graph_client import MAX_MESSAGE, PROTOCOL_VERSION, encode
from portal.services.errors import GraphUnavailable, ServiceError
from portal.services.principals import Reader

log = logging.getLogger(__name__)


def _refusal(kind: str, message: str, retry_after: int | None = None) -> dict[str, Any]:
    error = {"kind": kind, "message": message, "field": None, "retry_after": retry_after}
    return {"v": PROTOCOL_VERSION, "ok": False, "error": error}


class _Handler(socketserver.StreamRequestHandler):
    server: GraphServer

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(MAX_MESSAGE + 1)
            if not line:
                return
            if not line.endswith(b"\n"):
                self.wfile.write(encode(_refusal("malformed", "A request is one line of JSON.")))
                return
            self.wfile.write(encode(self.server.answer(line)))


class SocketInUse(RuntimeError):
    """The socket path is taken: a graph process answers there, or it is not a socket."""


def _lock(path: str) -> int:
    """An exclusive lock on ``path.lock``, held while the graph process lives: two starting at
    once on one path cannot both claim it."""
    descriptor = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o660)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise SocketInUse(
            f"A graph process already holds {path}: stop it first, or choose another socket."
        ) from None
    return descriptor


def _claim(path: str) -> None:
    """Remove a socket left by a graph process that stopped; refuse a live one or a file.
    Only a refused connection means nobody listens: a full queue, a denied right or a wait
    that ran out may be a live graph process, whose socket must stay."""
    if not os.path.lexists(path):
        return
    if not stat.S_ISSOCK(os.lstat(path).st_mode):
        raise SocketInUse(f"{path} exists and is not a socket: choose another path.")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except ConnectionRefusedError:
            os.unlink(path)  # nobody listens: what a stopped graph process left
            return
        except FileNotFoundError:
            return
        except OSError as error:
            raise SocketInUse(
                f"{path} cannot be checked ({error.strerror or error}): it may be a live graph "
                "process's; stop it first, or choose another socket."
            ) from None
    raise SocketInUse(
        f"A graph process already answers on {path}: stop it first, or choose another socket."
    )


class GraphServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Answers graph queries on a Unix domain socket, one thread per connection."""

    daemon_threads = True

    def __init__(self, path: str, app: Any) -> None:
        """``app`` is the Flask application (its config and app context)."""
        self.app = app
        self.path = path
        self.ready: set[str] = set()  # organisations whose graph is built
        self.warming = False  # while True, only organisations in ``ready`` are answered
        self.routed: int | None = None  # organisations routed here, once warm_up has counted
        self.failed: str | None = None  # why warm_up stopped, if it did
        self._ready_lock = threading.Lock()
        self._held = _lock(path)
        try:
            _claim(path)
            super().__init__(path, _Handler)
        except BaseException:
            os.close(self._held)
            raise
        os.chmod(path, 0o660)
        self._inode = os.lstat(path).st_ino

    def server_close(self) -> None:
        # The path is let go while it is still ours (a successor cannot have it yet: it waits
        # for the lock), then the listener, then the lock.
        try:
            if os.lstat(self.path).st_ino == self._inode:  # ours, not a successor's
                os.unlink(self.path)
        except FileNotFoundError:
            pass
        super().server_close()
        os.close(self._held)

    def sizes(self) -> list[dict[str, int]]:
        """Nodes and edges of each graph held here, by organisation id (for /metrics)."""
        with self.app.app_context():
            held = org_graphs.cache_sizes()
            db.session.remove()
        return [{"org_id": h.org_id, "nodes": h.nodes, "edges": h.edges} for h in held]

    def status(self) -> dict[str, Any]:
        """What a probe may know: whether graphs are still being built, how many are, and
        whether building them failed."""
        with self._ready_lock:
            built = len(self.ready)
        return {
            "warming": self.warming,
            "built": built,
            "routed": self.routed,
            "failed": self.failed is not None,
        }

    def serves(self, org: Organisation) -> bool:
        """Whether this organisation's graph is routed to this graph process."""
        return graph_client.address_for(self.app.config, org.code, org.id) == self.path

    def answer(self, line: bytes) -> dict[str, Any]:
        """The answer to one request line (never raises)."""
        try:
            request = json.loads(line)
        except ValueError:
            return _refusal("malformed", "A request is one JSON object.")
        if not isinstance(request, dict):
            return _refusal("malformed", "A request is one JSON object.")
        if request.get("v") != PROTOCOL_VERSION:
            return _refusal(
                "version",
                f"This graph process speaks protocol version {PROTOCOL_VERSION}, "
                f"not {request.get('v')!r}.",
            )
        own = {"status": self.status, "sizes": self.sizes}.get(str(request.get("query")))
        if own is not None:  # the probe's and the metrics' questions: no organisation named
            try:
                return {"v": PROTOCOL_VERSION, "ok": True, "result": own()}
            except Exception:
                log.exception("graph process %s failed", request.get("query"))
                return _refusal("internal", "The graph process failed on this question.")
        org, query, args = request.get("org"), request.get("query"), request.get("args", {})
        if not isinstance(org, str) or not isinstance(query, str) or not isinstance(args, dict):
            return _refusal("malformed", "A request names org, query (text) and args (object).")
        run = graph_queries.QUERIES.get(query)
        if run is None:
            return _refusal("unknown_query", f"No query {query!r} here.")
        with self.app.app_context(), speaking(request.get("lang")):
            try:
                return self._run(org, run, args)
            except Exception:
                log.exception("graph query %s failed", query)
                return _refusal("internal", "The graph process failed on this query.")
            finally:
                db.session.remove()

    def _run(self, code: str, run: Any, args: dict[str, Any]) -> dict[str, Any]:
        found = db.session.scalars(select(Organisation).where(Organisation.code == code)).first()
        if found is None or not self.serves(found):
            return _refusal("not_routed", "That organisation's graph is not held here.")
        reader = self.reader_of(found)
        try:
            bound = inspect.signature(run).bind(reader, **args)
        except TypeError as wrong:
            return _refusal("malformed", f"Wrong arguments: {wrong}.")
        if self.warming and code not in self.ready:
            building = GraphUnavailable()
            return _refusal("unavailable", building.message, building.retry_after)
        try:
            result = run(*bound.args, **bound.kwargs)
        except ServiceError as error:
            return {"v": PROTOCOL_VERSION, "ok": False, "error": graph_client.error_message(error)}
        return {"v": PROTOCOL_VERSION, "ok": True, "result": result}

    @staticmethod
    def reader_of(org: Organisation) -> Reader:
        """The reader a query runs for: the organisation, as an analyst, and nothing else."""
        return Reader(0, "", org.id, org.code, org.kind, org.country, frozenset({Role.ANALYST}))

    def warm_up(self) -> None:
        """Build every graph routed here, one organisation at a time (in the app context).
        A failure is kept for the probe (``failed``): the graphs are then built on demand."""
        self.warming = True
        self.failed = None
        try:
            with self.app.app_context():
                orgs = [o for o in db.session.scalars(select(Organisation)) if self.serves(o)]
                self.routed = len(orgs)
                for org in orgs:
                    graph_queries.warm(self.reader_of(org))
                    with self._ready_lock:
                        self.ready.add(org.code)
                    log.info("graph of %s built", org.code)
                db.session.remove()
        except Exception as error:
            self.failed = f"{type(error).__name__}: {error}"
            log.exception("building the graphs failed; they will be built when asked for")
        finally:
            self.warming = False
