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
