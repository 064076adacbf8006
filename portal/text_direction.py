"""The direction of a text, from its first strong character, for ``dir`` attributes.

A browser works out ``dir="auto"`` itself; WeasyPrint, which makes the briefings' PDF, does not
(it knows only ``dir="ltr"`` and ``dir="rtl"``), so an Arabic name in a PDF table sat on the
left. Templates write ``dir="{{ name|text_dir }}"``: the same answer as a browser's, given
explicitly, so the page and the PDF align a name alike.
"""

from __future__ import annotations

import unicodedata

__all__ = ["text_dir"]

_RIGHT_TO_LEFT = frozenset({"R", "AL"})


def text_dir(text: object) -> str:
    """``"rtl"`` or ``"ltr"`` by the first strong character of ``text``; ``"auto"`` without one.

    >>> text_dir("عمر البهازي"), text_dir("Omar al-Bahhazi"), text_dir("+33 6"), text_dir(None)
    ('rtl', 'ltr', 'auto', 'auto')
    >>> text_dir("123 شارع")
    'rtl'
    """
    for character in "" if text is None else str(text):
        kind = unicodedata.bidirectional(character)
        if kind in _RIGHT_TO_LEFT:
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"
