"""Request logs without query strings: what a search or a filter names never reaches a log.

Identifiers travel in query strings (``/bulletins/search?q=@handle``, the workspace's
``?node=account:telegram:...``, the inbox's ``?entity=``), so the portal keeps them out of every
request log it can reach rather than only out of some routes: :class:`NoQueryStrings` is a
logging filter on the loggers of Werkzeug's development server (``werkzeug``) and of gunicorn
(``gunicorn.access``, ``gunicorn.error``), installed by the app factory in the process that
serves; it replaces each query string with ``?-``. The repository's ``gunicorn.conf.py`` also
leaves the query string and the referrer out of gunicorn's access-log format.

A reverse proxy in front of the portal keeps its own log: see the README's security model.
"""

from __future__ import annotations

import logging
import re
from typing import Any

LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
# A request line "GET /path?query HTTP/1.1": everything from "?" to the protocol.
_REQUEST_LINE = re.compile(r"\?[^\x00]*?(?= HTTP/\d)")
# Elsewhere, a query string ends at white space or a quote.
_QUERY = re.compile(r"\?[^\s'\"]*")
# gunicorn's access-log atoms that hold a query string (request line, query, referrer).
_QUERY_ATOMS = {"q": "", "{query_string}e": ""}


def without_query(text: str) -> str:
    return _QUERY.sub("?-", _REQUEST_LINE.sub("?-", text))


def _clean(value: Any) -> Any:
    return without_query(value) if isinstance(value, str) else value


class NoQueryStrings(logging.Filter):
    """Rewrites a record's message and arguments so that no query string is left in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, dict):
            # gunicorn's access log formats a dictionary of atoms.
            record.args = {
                key: _QUERY_ATOMS.get(key, _clean(value)) if isinstance(key, str) else value
                for key, value in record.args.items()
            }
        elif record.args:
            record.args = tuple(_clean(value) for value in record.args)
        return True


_FILTER = NoQueryStrings()


def install() -> None:
    """Put the filter on the servers' loggers (once per process)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
