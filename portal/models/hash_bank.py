"""Shared hash banks: hashes of known terrorist content that organisations share.

A :class:`HashBank` belongs to one organisation, which may let others read it
(:class:`HashBankReader`). Its :class:`HashEntry` rows are MD5 or SHA-256 hashes of files or
PDQ perceptual hashes of images, each possibly linked to the referral case or item it came
from. An entry is never deleted: removing it sets ``removed_at``. Every addition and removal
takes the bank's next ``change_seq``, so a reader that synchronised up to one number learns
exactly what was added and removed since.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class HashKind(enum.StrEnum):
    MD5 = "md5"
    SHA256 = "sha256"
    PDQ = "pdq"


class HashBank(Base):
    __tablename__ = "hash_banks"
    __table_args__ = (UniqueConstraint("owner_org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last change number given to an entry of this bank (0: never changed).
    change_counter: Mapped[int] = mapped_column(Integer, default=0)
    # Entries not removed, kept with each change: counting a million rows per listing is not.
    live_entries: Mapped[int] = mapped_column(Integer, default=0)


class HashBankReader(Base):
    """An organisation, other than the owner, that may read and match against a bank."""

    __tablename__ = "hash_bank_readers"
    __table_args__ = (UniqueConstraint("bank_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


class HashEntry(Base):
    __tablename__ = "hash_entries"
    __table_args__ = (
        # Incremental download: a bank's changes in order.
        Index("ix_hash_entries_bank_change", "bank_id", "change_seq"),
        # Exact lookups of MD5 and SHA-256.
        Index("ix_hash_entries_kind_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"))
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[str] = mapped_column(String(64))  # lowercase hexadecimal
    quality: Mapped[int | None] = mapped_column(Integer)  # PDQ quality, 0..100, when known
    low_quality: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str | None] = mapped_column(String(200))
    case_id: Mapped[str | None] = mapped_column(ForeignKey("referral_cases.id"))
    item_id: Mapped[str | None] = mapped_column(ForeignKey("referral_items.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The bank's change number of the last change: the addition, then the removal.
    change_seq: Mapped[int] = mapped_column(Integer)
