"""Evidence attached to a referral item: a captured copy of the content, sealed.

The copy is sealed like a bulletin attachment (:func:`crypto.seal`): the content key is
wrapped for the referring organisation and the addressed platform only, and the envelope is
signed by the referrer. Its filename and content type travel inside the sealed payload; the
bytes are stored as ciphertext chunks. Only the sizes and the hashes are in clear: the hashes
are what joins two referrers of the same file in one case, as the item's own hashes do.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime


class ReferralEvidence(Base):
    __tablename__ = "referral_evidence"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the envelope id
    item_id: Mapped[str] = mapped_column(ForeignKey("referral_items.id"), index=True)
    referrer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    size: Mapped[int] = mapped_column(Integer)
    sealed_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    # The envelope (crypto.Envelope.to_json): header, signatures, sealed payload, wrapped keys.
    envelope: Mapped[str] = mapped_column(Text)


class ReferralEvidenceChunk(Base):
    __tablename__ = "referral_evidence_chunks"

    evidence_id: Mapped[str] = mapped_column(
        ForeignKey("referral_evidence.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
