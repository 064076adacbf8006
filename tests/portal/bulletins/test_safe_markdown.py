"""Bulletin bodies: Markdown formatting survives, nothing active does."""

from __future__ import annotations

import re

import pytest

from portal.safe_markdown import render
from tests.portal.bulletins.xss_corpus import XSS_CORPUS

TAG = re.compile(r"<\s*([a-zA-Z0-9]+)([^>]*)>")
SAFE_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip


@pytest.mark.parametrize("hostile", XSS_CORPUS)
def test_nothing_active_survives(hostile):
    for text in (
        hostile,
        f"# {hostile}",
        f"text **{hostile}** end",
        f"> {hostile}",
        f"| a |\n|---|\n| {hostile} |",
    ):
        html = str(render(text))
        for name, attributes in TAG.findall(html):
            assert name.lower() in SAFE_TAGS, (text, html)
            assert re.fullmatch(
                r'(\s+(class="[a-z- ]+"|start="\d+"|align="\w+"))*\s*/?', attributes
            ), html


def test_formatting_survives():
    html = str(
        render(
            "# Title\n\n**bold** _em_ ~~gone~~\n\n- one\n- two\n\n`code`\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |"
        )
    )
    for fragment in (
        "<h1>Title</h1>",
        "<strong>bold</strong>",
        "<em>em</em>",
        "<s>gone</s>",
        "<li>one</li>",
        "<code>code</code>",
        "<td>1</td>",
    ):
        assert fragment in html


def test_links_are_shown_as_inert_text_with_their_address():
    html = str(render("see [the channel](https://t.me/example_channel) now"))
    assert "<a" not in html and "href" not in html
    assert "the channel" in html and "[https://t.me/example_channel]" in html


def test_images_are_never_loaded():
    html = str(render("![beacon](http://127.0.0.1:9/pixel.png)"))
    assert "<img" not in html and "[image: beacon http://127.0.0.1:9/pixel.png]" in html


def test_arabic_and_cjk_text_is_kept():
    html = str(render("أبو محمد العدناني — 山田太郎"))
    assert "أبو محمد العدناني" in html and "山田太郎" in html
