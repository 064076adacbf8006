"""Canonical keys for web addresses.

Two spellings of one address get one key: the scheme is folded to ``https``, the
host is lower-cased, IDNA-encoded and loses ``www.``, default ports, fragments,
tracking parameters and a trailing slash go, the remaining query parameters are
sorted, and percent-escapes are written one way.

Examples
--------
>>> url_key("HTTP://WWW.Example.ORG:80/Path/?utm_source=x&b=2&a=1#top")
'url:https://example.org/Path?a=1&b=2'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from graph.normalise.errors import NotNormalisable

__all__ = ["TRACKING_PARAMETERS", "ParsedUrl", "canonical_host", "parse_url", "url_key"]

TRACKING_PARAMETERS: Final[frozenset[str]] = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "igsh",
        "mibextid",
        "si",
        "feature",
        "ref",
        "ref_src",
        "ref_url",
        "s",
        "t",
        "_rdr",
        "__cft__",
        "__tn__",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "share_id",
        "is_from_webapp",
        "sender_device",
        "lang",
        "hl",
    }
)
"""Query parameters that say how a link was shared, not what it points at (plus ``utm_*``)."""

_DEFAULT_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443}
_HAS_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
# Characters that need no escaping in a path: RFC 3986 unreserved plus sub-delims, ':' and '@'.
_PATH_SAFE: Final[str] = "/-._~!$&'()*+,;=:@"


class ParsedUrl(NamedTuple):
    """A web address split into canonical parts (host without ``www.``/``m.`` is in ``site``)."""

    scheme: str
    host: str
    path: str
    query: tuple[tuple[str, str], ...]

    @property
    def site(self) -> str:
        """The host without a leading ``www.``, ``m.`` or ``mobile.``."""
        return re.sub(r"^(?:www\d*|m|mobile|web)\.", "", self.host)

    @property
    def segments(self) -> list[str]:
        """Non-empty path segments, percent-decoded."""
        return [unquote(s) for s in self.path.split("/") if s]

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, if present."""
        for key, value in self.query:
            if key == name:
                return value
        return None


def canonical_host(host: str) -> str:
    """Lower-case, IDNA-encode and strip a trailing dot of a host name.

    Raises
    ------
    NotNormalisable
        When the host is empty or not a valid internationalised domain name.
    """
    host = unicodedata.normalize("NFKC", host).strip().rstrip(".").lower()
    if not host:
        raise NotNormalisable("empty host")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise NotNormalisable(f"invalid host name {host!r}") from exc


def parse_url(text: str) -> ParsedUrl:
    """Split ``text`` into canonical parts; a missing scheme means ``https``.

    Raises
    ------
    NotNormalisable
        When ``text`` has no host, or a port that is not a number.
    """
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        raise NotNormalisable(f"not a URL: {text!r}")
    if text.startswith("//"):
        text = "https:" + text
    elif not _HAS_SCHEME.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)  # raises ValueError for a bracketed host that is no IPv6 address
    except ValueError as exc:
        raise NotNormalisable(f"not a URL: {text!r}") from exc
    scheme = parts.scheme.lower()
    if scheme == "http":
        scheme = "https"
    try:
        port = parts.port
    except ValueError as exc:
        raise NotNormalisable(f"invalid port in {text!r}") from exc
    host = canonical_host(parts.hostname or "")
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE)
    query = tuple(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMETERS and not key.lower().startswith("utm_")
    )
    return ParsedUrl(scheme, host, path, query)


def url_key(text: str) -> str:
    """Canonical key of a web address: ``url:`` followed by the canonical URL.

    Parameters
    ----------
    text : str
        An address, with or without scheme.

    Returns
    -------
    str
        ``url:https://host/path?sorted-query``.

    Raises
    ------
    NotNormalisable
        When ``text`` is not a URL.

    Examples
    --------
    >>> url_key("example.org/a/")
    'url:https://example.org/a'
    >>> url_key("https://bücher.example/")
    'url:https://xn--bcher-kva.example/'
    """
    parsed = parse_url(text)
    path = parsed.path.rstrip("/") or "/"
    host = parsed.host
    if host.startswith("www."):
        host = host[4:]
    query = urlencode(sorted(parsed.query), quote_via=quote)
    return f"url:{parsed.scheme}://{host}{path}" + (f"?{query}" if query else "")
