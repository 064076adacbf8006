"""Demo hash banks: two shared banks of PDQ hashes made from generated images, so matching,
the bank pages and the incremental download have something real to show.

- "Attack propaganda imagery", owned by EU-HOME (as the EU's referral unit would), read by
  every G7 ministry and every platform partner; a few entries link to the referral cases
  EU-HOME's own image referrals opened.
- "Bomb-making manual pages", owned by META and shared with the other platforms and with
  DE-BMI and FR-MININT.

The images are blocky colour fields drawn from one seed (never stored); their PDQ hashes are
what the banks hold, with an MD5 and SHA-256 of each image's PNG for a few. ``sample_image``
gives back one bank image, re-encoded and lightly altered, for a person to try the matcher:
it matches its entry at a small Hamming distance, as a re-upload of known content would.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image
from sqlalchemy import select

from portal.demo.seeding import demo_reader
from portal.demo.world import G7
from portal.extensions import db
from portal.models import HashBank, ReferralItem, Role
from portal.services.hashbanks import banks
from portal.services.hashbanks.banks import EntryDraft
from portal.services.principals import CLI, Actor, Reader

SEED = 20261203
PLATFORMS = ("META", "GOOGLE", "X-CORP", "MICROSOFT")
SAMPLED = 100  # images per bank drawn at full size (see _pixels)


@dataclass(frozen=True)
class DemoBank:
    name: str
    owner: str
    readers: tuple[str, ...]
    description: str
    label: str


BANKS = (
    DemoBank(
        "Attack propaganda imagery",
        "EU-HOME",
        (*G7, "INTERPOL", *PLATFORMS),
        "Stills and posters glorifying attacks, as referred by EU-HOME's referral unit.",
        "propaganda still",
    ),
    DemoBank(
        "Bomb-making manual pages",
        "META",
        ("GOOGLE", "X-CORP", "MICROSOFT", "DE-BMI", "FR-MININT"),
        "Pages of improvised explosive device manuals removed from Meta's services.",
        "manual page",
    ),
)


@dataclass
class HashBankSeedReport:
    banks: int = 0
    entries: int = 0
    linked: int = 0
    skipped: bool = False


def _pixels(bank: int, number: int) -> np.ndarray:
    """Image ``number`` of demo bank ``bank``: 8 x 8 colour blocks. The first ``SAMPLED``
    images of a bank are 256 x 256 pixels, the size PDQ is made for, so a re-encoded copy stays
    near its hash; the rest are 64 x 64, ten times cheaper to hash (their hashes are as
    random, and nobody is handed a copy of them)."""
    rng = np.random.default_rng([SEED, bank, number])
    blocks = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    side = 32 if number < SAMPLED else 8
    return np.ascontiguousarray(np.kron(blocks, np.ones((side, side, 1), dtype=np.uint8)))


def _pdq(pixels: np.ndarray) -> tuple[str, int]:
    vector, quality = pdqhash.compute(pixels)
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex(), int(quality)


def sample_image(bank: int = 0, number: int = 7) -> bytes:
    """One demo bank image as a person might find it again: brightened a little, enlarged and
    saved as JPEG, so its PDQ hash is near, not equal to, the bank's entry."""
    if not 0 <= number < SAMPLED:
        raise ValueError(f"sample images are numbers 0 to {SAMPLED - 1}")
    pixels = _pixels(bank, number).astype(np.int16) + 12
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).resize((512, 512))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _reader(code: str) -> tuple[Reader, Actor]:
    reader = demo_reader(Role.PLATFORM_LIAISON if code in PLATFORMS else Role.LIAISON, code)
    return reader, Actor(reader.user_id, reader.email, reader.org_id)


def seed_hash_banks(per_bank: int) -> HashBankSeedReport:
    """Two demo banks of ``per_bank`` PDQ hashes each (none if a demo bank exists)."""
    names = {bank.name for bank in BANKS}
    if per_bank <= 0 or db.session().scalar(select(HashBank.id).where(HashBank.name.in_(names))):
        return HashBankSeedReport(skipped=per_bank > 0)
    report = HashBankSeedReport()
    for index, spec in enumerate(BANKS):
        bank = banks.create_bank(
            CLI, spec.owner, spec.name, spec.description, readers=list(spec.readers)
        )
        reader, actor = _reader(spec.owner)
        links = _links(spec.owner) if index == 0 else []
        drafts = []
        for number in range(per_bank):
            value, quality = _pdq(_pixels(index, number))
            case_id, item_id = links[number] if number < len(links) else (None, None)
            drafts.append(
                EntryDraft(
                    "pdq",
                    value,
                    quality=quality,
                    label=f"{spec.label} {number + 1:04d}",
                    case_id=case_id,
                    item_id=item_id,
                )
            )
            report.linked += item_id is not None
        for start in range(0, len(drafts), banks.MAX_ENTRIES_AT_ONCE):
            chunk = drafts[start : start + banks.MAX_ENTRIES_AT_ONCE]
            report.entries += len(banks.add_entries(reader, actor, bank.id, chunk))
        report.banks += 1
    return report


def _links(owner: str) -> list[tuple[str, str]]:
    """The referral items of image content the bank's owner referred (case, item)."""
    reader, _ = _reader(owner)
    rows = db.session().execute(
        select(ReferralItem.case_id, ReferralItem.id)
        .where(
            ReferralItem.referrer_org_id == reader.org_id,
            ReferralItem.content_type == "image",
        )
        .order_by(ReferralItem.received_at)
        .limit(40)
    )
    return [(case_id, item_id) for case_id, item_id in rows]
