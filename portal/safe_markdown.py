"""Bulletin bodies: Markdown rendered by markdown-it-py, then sanitised by nh3.

Bodies come from seven other ministries and may quote hostile material, so nothing active
survives: raw HTML is escaped by the parser, and the sanitiser keeps only text-formatting tags
with no style, event-handler or URL-bearing attributes. Links are never live: a link is shown
as its text followed by its address, so no reader's browser contacts a site by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

__all__ = ["render"]

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"span": {"class"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}


def _link_open(_renderer: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    return '<span class="link-text">'


def _link_close(_renderer: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    # Find the matching opening token to show where the link pointed, as inert text.
    depth = 0
    for token in reversed(tokens[:idx]):
        if token.type == "link_close":
            depth += 1
        elif token.type == "link_open":
            if depth == 0:
                href = str(token.attrGet("href") or "")
                return f'</span> <span class="link-address">[{escape(href)}]</span>'
            depth -= 1
    return "</span>"


def _image(_renderer: Any, tokens: Sequence[Token], idx: int, *_: Any) -> str:
    token = tokens[idx]
    alt, src = escape(token.content), escape(str(token.attrGet("src") or ""))
    return f'<span class="image-removed">[image: {alt} {src}]</span>'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    return md


_MARKDOWN = _parser()


def render(text: str) -> Markup:
    """Safe HTML for a bulletin body written in Markdown."""
    html = _MARKDOWN.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)
