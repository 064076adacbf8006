"""Reading briefing PDFs back the way a reader's tools do: poppler's pdftotext and pdftoppm."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from PIL import Image

_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]


def page_texts(path: Path) -> list[str]:
    """The text of every page, bidi control characters removed."""
    texts = []
    for number in range(1, page_count(path) + 1):
        out = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        texts.append(_BIDI_CONTROLS.sub("", out))
    return texts


def inked_share(path: Path, folder: Path) -> list[float]:
    """The share of non-white pixels of each page image, rendered at 30 dpi."""
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(folder / "page")], check=True)
    shares = []
    for image_path in sorted(folder.glob("page-*.png")):
        with Image.open(image_path) as image:
            grey = image.convert("L")
            histogram = grey.histogram()
            shares.append(1 - sum(histogram[250:]) / (grey.width * grey.height))
    return shares


_PAGE = re.compile(r'<page width="([\d.]+)"')
_WORD = re.compile(
    r'<word xMin="([\d.-]+)" yMin="[\d.-]+" xMax="([\d.-]+)" yMax="[\d.-]+">([^<]*)<'
)


def words_past_the_edge(path: Path, margin: float = 10.0) -> list[tuple[int, str]]:
    """(page, word) for every word that runs into the last ``margin`` points of its page's
    width or past it: a table too wide for the page (pdftotext cuts such a word at the edge)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    found: list[tuple[int, str]] = []
    for number, page in enumerate(out.split("<page ")[1:], start=1):
        width = float(_PAGE.match("<page " + page)[1])  # type: ignore[index]
        found += [(number, w) for lo, hi, w in _WORD.findall(page) if float(hi) > width - margin]
    return found
