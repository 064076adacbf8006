"""How the web side asks the organisation's link graph: in this process, or the graph process.

Views and services ask through :func:`ask` and do not care which answers:

- **in process** (no ``GRAPH_SOCKET`` configured: tests, the embedded default): the query of
  :data:`graph_queries.QUERIES` runs here, on this process's cached graph, exactly as before;
- **over a socket** to the machine's graph process (``flask --app wsgi graphs serve``, see
  :mod:`graph_server`), which holds each organisation's graph once for every web worker.

The organisation is always the authenticated reader's (``reader.org_code``); nothing a user sends
picks it. ``GRAPH_SOCKETS`` maps organisation codes (or ids) to other graph processes' sockets,
so the largest organisations can get a machine of their own; the rest go to ``GRAPH_SOCKET``.

Protocol (version :data:`PROTOCOL_VERSION`): one JSON object per line (UTF-8, ``\\n``-ended,
at most :data:`MAX_MESSAGE` bytes), on a Unix domain socket; a connection may carry several
requests, each answered by one line, in order.

- request: ``{"v": 1, "org": "<organisation code>", "query": "<name>", "args": {...},
  "lang": "fr"}`` (``lang``, optional: the language of the words in the answer; English when
  absent or unknown);
- answer: ``{"v": 1, "ok": true, "result": ...}`` or
  ``{"v": 1, "ok": false, "error": {"kind", "message", "field", "retry_after"}}``, where kind is
  ``invalid`` (400), ``forbidden`` (403), ``not_found`` (404), ``conflict`` (409),
  ``unavailable`` (503: rebuilding, with ``retry_after`` seconds), ``version`` (the request's
  ``v`` is not spoken here), ``not_routed`` (that organisation's graph is not held here),
  ``unknown_query``, ``malformed`` or ``internal``.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from flask import current_app

from portal.i18n import current_language
from portal.services.analysis import graph_queries
from portal.services.errors import (
    Conflict,
    Forbidden,
    GraphUnavailable,
    InvalidInput,
    NotFound,
    ServiceError,
)
from portal.services.principals import Reader

PROTOCOL_VERSION = 1
MAX_MESSAGE = 64 * 1024 * 1024  # bytes in one line: an export of 5,000 nodes fits
RETRY_AFTER_S = 5
log = logging.getLogger(__name__)

_BY_KIND: dict[str, type[ServiceError]] = {
    "invalid": InvalidInput,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
}
_KIND_OF_STATUS = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "conflict"}


class GraphProtocolError(RuntimeError):
    """The graph process refused a request as malformed or unknown: a fault of this code."""


class GraphClient(Protocol):
    def ask(self, reader: Reader, query: str, /, **args: Any) -> Any: ...


def encode(message: Mapping[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def error_message(error: ServiceError) -> dict[str, Any]:
    """A service error as the protocol carries it."""
    kind = (
        "unavailable"
        if isinstance(error, GraphUnavailable)
        else _KIND_OF_STATUS.get(error.status, "invalid")
    )
    return {
        "kind": kind,
        "message": error.message,
        "field": error.field,
        "retry_after": getattr(error, "retry_after", None),
    }


def raise_error(error: Mapping[str, Any]) -> NoReturn:
    """Raise on the web side what the graph process answered."""
    kind, message = error.get("kind"), str(error.get("message") or "")
    if kind in _BY_KIND:
        raise _BY_KIND[kind](message, field=error.get("field"))
    if kind == "unavailable":
        raise GraphUnavailable(retry_after=int(error.get("retry_after") or RETRY_AFTER_S))
    if kind in ("version", "not_routed"):
        # A graph process of another release (during an upgrade) or a routing table that
        # disagrees with the graph process's: the person can only wait.
        log.error("graph process refused the request (%s): %s", kind, message)
        raise GraphUnavailable(retry_after=RETRY_AFTER_S * 6)
    raise GraphProtocolError(f"{kind}: {message}")


class InProcess:
    """The query runs here, on this process's graphs (tests, the embedded default)."""

    def ask(self, reader: Reader, query: str, /, **args: Any) -> Any:
        return graph_queries.QUERIES[query](reader, **args)


class SocketClient:
    """The query goes to a graph process on a Unix domain socket (one connection per query)."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        self.address = address
        self.timeout = timeout

    def ask(self, reader: Reader, query: str, /, **args: Any) -> Any:
        request = {
            "v": PROTOCOL_VERSION,
            "org": reader.org_code,
            "query": query,
            "args": args,
            # The language the answer's words (titles, reasons, refusals) are written in.
            "lang": current_language(),
        }
        return self.send(request)

    def send(self, request: Mapping[str, Any]) -> Any:
        """Send one request as it is (tests send wrong ones) and return its result."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout)
                conn.connect(self.address)
                conn.sendall(encode(request))
                with conn.makefile("rb") as answers:
                    line = answers.readline(MAX_MESSAGE + 1)
        except OSError as error:  # absent, refused, reset, timed out
            log.warning("graph process at %s unavailable: %s", self.address, error)
            raise GraphUnavailable() from None
        if not line.endswith(b"\n"):
            log.warning("graph process at %s closed the connection", self.address)
            raise GraphUnavailable()
        answer = json.loads(line)
        if answer.get("ok"):
            return answer.get("result")
        raise_error(answer.get("error") or {})


IN_PROCESS = InProcess()


def address_for(config: Mapping[str, Any], org_code: str, org_id: int) -> str | None:
    """The socket of the graph process that holds this organisation's graph, or None (here)."""
    routes: Mapping[str, str] = config.get("GRAPH_SOCKETS") or {}
    found = routes.get(org_code) or routes.get(str(org_id)) or config.get("GRAPH_SOCKET")
    return str(found) if found else None


def addresses(config: Mapping[str, Any]) -> list[str]:
    """Every graph process socket this portal routes to, each once, in a fixed order."""
    routes: Mapping[str, str] = config.get("GRAPH_SOCKETS") or {}
    found = {str(a) for a in routes.values()}
    if config.get("GRAPH_SOCKET"):
        found.add(str(config["GRAPH_SOCKET"]))
    return sorted(found)


def status(address: str, timeout: float = 2.0) -> dict[str, Any]:
    """The graph process's own status (``warming``, ``built``, ``routed``); GraphUnavailable
    if it does not answer."""
    answer = SocketClient(address, timeout).send({"v": PROTOCOL_VERSION, "query": "status"})
    return dict(answer)


# What a reply this release cannot read raises (a graph process of another release, a reply
# of the wrong shape): probes report it, never fail on it.
UNREADABLE = (GraphProtocolError, ValueError, KeyError, TypeError, AttributeError)


@dataclass(frozen=True)
class ProcessState:
    """A graph process as a probe finds it."""

    address: str
    answers: bool
    understood: bool = True  # False: it answers, but not this question (another release)
    warming: bool = False
    built: int | None = None
    routed: int | None = None
    failed: bool = False  # building its graphs failed; they are built when asked for

    @property
    def ready(self) -> bool:
        return self.answers and self.understood and not self.warming and not self.failed


def probe(address: str, timeout: float = 0.5) -> ProcessState:
    """The graph process's state; never raises (a probe must answer whatever it finds)."""
    try:
        found = status(address, timeout)
        routed = found.get("routed")
        return ProcessState(
            address,
            answers=True,
            warming=bool(found.get("warming")),
            built=int(found.get("built") or 0),
            routed=routed if isinstance(routed, int) else None,
            failed=bool(found.get("failed")),
        )
    except GraphUnavailable:
        return ProcessState(address, answers=False)
    except UNREADABLE:
        return ProcessState(address, answers=True, understood=False)


def sizes(address: str, timeout: float = 2.0) -> list[dict[str, int]]:
    """Nodes and edges of each graph the graph process holds (``org_id``, ``nodes``,
    ``edges``); GraphUnavailable if it does not answer."""
    answer = SocketClient(address, timeout).send({"v": PROTOCOL_VERSION, "query": "sizes"})
    return [dict(entry) for entry in answer]


def client_for(reader: Reader) -> GraphClient:
    config = current_app.config
    address = address_for(config, reader.org_code, reader.org_id)
    if address is None:
        return IN_PROCESS
    return SocketClient(address, float(config.get("GRAPH_TIMEOUT_S", 30)))


def ask(reader: Reader, query: str, /, **args: Any) -> Any:
    """The answer to ``query`` from the reader's organisation's graph, wherever it is held."""
    return client_for(reader).ask(reader, query, **args)
