"""Hashes of what a user sends: PDQ of an image (Meta's reference C++ through ``pdqhash``,
decoded with Pillow), MD5 and SHA-256 of a file, and the checks of typed-in hashes.

``pdqhash`` is the maintained binding of Meta's PDQ; ``threatexchange`` (what Meta's
Hasher-Matcher-Actioner uses) hashes PDQ through this same package and Pillow, and would bring
a client for ThreatExchange, requests and faiss besides. The hexadecimal form is the one
ThreatExchange and HMA exchange: the 256 bits, first bit most significant.

The image is read in memory and never written anywhere.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pdqhash
from flask import current_app
from flask_babel import gettext
from PIL import Image, UnidentifiedImageError

from portal.models import HashKind
from portal.services.errors import InvalidInput

HEX = {
    HashKind.MD5: re.compile(r"^[0-9a-f]{32}$"),
    HashKind.SHA256: re.compile(r"^[0-9a-f]{64}$"),
    HashKind.PDQ: re.compile(r"^[0-9a-f]{64}$"),
}
DIGITS = {HashKind.MD5: 32, HashKind.SHA256: 64, HashKind.PDQ: 64}


@dataclass(frozen=True)
class ImageHashes:
    pdq: str
    quality: int
    md5: str
    sha256: str

    @property
    def low_quality(self) -> bool:
        return is_low_quality(self.quality)


def is_low_quality(quality: int | None) -> bool:
    return quality is not None and quality < int(current_app.config["HASH_PDQ_MIN_QUALITY"])


def check_hash(kind: HashKind, value: object, field: str) -> str:
    """``value`` as lowercase hexadecimal of ``kind``'s length, or a 400 naming ``field``."""
    text = value.strip().lower() if isinstance(value, str) else ""
    if not HEX[kind].fullmatch(text):
        if kind == HashKind.MD5:
            problem = gettext("An MD5 hash is %(digits)s hexadecimal digits.", digits=DIGITS[kind])
        else:
            problem = gettext(
                "A %(kind)s hash is %(digits)s hexadecimal digits.",
                kind="PDQ" if kind == HashKind.PDQ else "SHA-256",
                digits=DIGITS[kind],
            )
        raise InvalidInput(problem, field=field)
    return text


def hash_image(data: bytes, field: str = "image") -> ImageHashes:
    """PDQ (with its quality), MD5 and SHA-256 of an uploaded image."""
    limit = int(current_app.config["HASH_IMAGE_MAX_BYTES"])
    if not data:
        raise InvalidInput(gettext("Choose an image file."), field=field)
    if len(data) > limit:
        raise InvalidInput(
            gettext("The image is larger than %(most)s MB.", most=limit // (1024 * 1024)),
            field=field,
        )
    most = int(current_app.config["HASH_IMAGE_MAX_PIXELS"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > most:
                    raise InvalidInput(gettext("The image has too many pixels."), field=field)
                image.load()
                pixels = np.asarray(image.convert("RGB"))
    except InvalidInput:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise InvalidInput(
            gettext("This file is not an image Ischia can read."), field=field
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(gettext("The image has too many pixels."), field=field) from None
    vector, quality = pdqhash.compute(pixels)
    pdq = np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()
    return ImageHashes(
        pdq=pdq,
        quality=int(quality),
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
    )
