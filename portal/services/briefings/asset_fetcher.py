"""The only way a briefing's HTML may fetch anything: the portal's own briefing assets and
small ``data:`` images.

Bulletin text comes from other ministries, so every other URL is refused before any I/O:
``file:``, ``http(s):``, ``ftp:``, anything relative and anything unknown. Nothing follows a
redirect, because nothing goes to a network. Refused URLs are kept for the log.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from urllib.parse import unquote_to_bytes

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME = "ischia-asset:"
MAX_DATA_URL = 2 * 1024 * 1024  # decoded bytes
DATA_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
ASSET_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.[a-z]{2,4}")
_DATA = re.compile(r"data:([a-z0-9.+/-]+)((?:;[a-z0-9=._-]+)*?)(;base64)?,(.*)", re.I | re.S)


class Refused(ValueError):
    """A URL the briefing may not fetch."""


class BriefingFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to the briefing assets folder and data images."""

    def __init__(self, assets: Path) -> None:
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
        self.assets = assets.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            if url.startswith(ASSET_SCHEME):
                return self._asset(url)
            if url[:5].lower() == "data:":
                return self._data(url)
            raise Refused("only the portal's own assets and data: images")
        except Refused:
            self.refused.append(url[:200])
            raise

    def _asset(self, url: str) -> URLFetcherResponse:
        name = url.removeprefix(ASSET_SCHEME)
        if not _ASSET_NAME.fullmatch(name):
            raise Refused("not an asset name")
        path = (self.assets / name).resolve()
        kind = ASSET_TYPES.get(path.suffix)
        if kind is None or path.parent != self.assets or not path.is_file():
            raise Refused("no such asset")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})

    def _data(self, url: str) -> URLFetcherResponse:
        if len(url) > MAX_DATA_URL * 4 // 3 + 200:
            raise Refused("data: URL too large")
        match = _DATA.fullmatch(url)
        if match is None or match[1].lower() not in DATA_TYPES:
            raise Refused("only data: images")
        try:
            body = (
                base64.b64decode(match[4], validate=False)
                if match[3]
                else unquote_to_bytes(match[4])
            )
        except (binascii.Error, ValueError) as error:
            raise Refused("malformed data: URL") from error
        if len(body) > MAX_DATA_URL:
            raise Refused("data: image too large")
        return URLFetcherResponse(url, body, {"Content-Type": match[1].lower()})
