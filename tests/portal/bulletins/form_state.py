"""Read an HTML page the way a browser would submit its forms, and describe its element tree.

Tests use :class:`FormState` to check that a re-displayed form still holds what was typed, and
:func:`structure` to check that typed text added no element or attribute to the page.
"""

from __future__ import annotations

from html.parser import HTMLParser


class FormState(HTMLParser):
    """The values a page's controls would submit: ``values[name]`` is a list, as in a form post."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._option: dict[str, str | None] | None = None
        self._text = ""
        self.feed(html)
        self.close()

    def _add(self, name: str | None, value: str) -> None:
        if name:
            self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._add(a.get("name"), a.get("value") or "on")
            elif kind not in ("submit", "file", "button"):
                self._add(a.get("name"), a.get("value") or "")
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            self._option, self._text = a, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None or self._option is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline that opens a textarea's content.
            text = self._text[2:] if self._text.startswith("\r\n") else self._text
            self._add(self._textarea, text.removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            if "selected" in self._option:
                value = self._option.get("value")
                self._add(self._select, self._text if value is None else value)
            self._option = None
        elif tag == "select":
            self._select = None

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append((tag, tuple(sorted(name for name, _ in attrs))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def structure(html: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every element of the page in order, as (tag, attribute names): text and values left out."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.items
