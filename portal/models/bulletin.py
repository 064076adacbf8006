"""Sealed bulletins: what the database holds of each one, and who may open it.

Only routing and listing metadata are in clear (id, sender, recipients, category, marking,
times, sizes). Title, body, entities and attachments live in the sealed envelope, whose parts
are stored separately: the signed ``header`` bytes, the ``signature``, the ``content``
ciphertext, one :class:`BulletinKey` per wrapped content key, and the signed key records of
releases and re-wraps. Shredding deletes every ``BulletinKey`` row and the ciphertexts; the
row itself stays as a tombstone.

Every organisation that may read a bulletin has a :class:`BulletinRecipient` row, the sender
included: visibility is one indexed lookup, and it matches the wrapped keys.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, UTCDateTime
from portal.models.organisation import Organisation


class BulletinState(enum.StrEnum):
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    RETRACTED = "retracted"
    EXPIRED = "expired"

    @property
    def readable(self) -> bool:
        return self in (BulletinState.ACTIVE, BulletinState.SUPERSEDED)


class Bulletin(Base):
    __tablename__ = "bulletins"
    __table_args__ = (
        Index("ix_bulletins_sender_created", "sender_org_id", "created_at", "id"),
        Index("ix_bulletins_state_expires", "state", "expires_at", "id"),
        # The inbox's filters build id sets from these without reading the (large) rows.
        Index("ix_bulletins_category", "category", "id"),
        Index("ix_bulletins_marking", "marking", "id"),
        # One row per version of a series: two amendments of one version cannot both become
        # version n + 1 (the second is refused; see services/bulletins/sealing.py).
        Index("uq_bulletins_series_version", "series_id", "version", unique=True),
        # The bulletin a re-posted STIX report amends (services/stix/taxii.py).
        Index("ix_bulletins_sender_stix_report", "sender_org_id", "stix_report_id"),
    )

    # The envelope id: 32 random hexadecimal digits, so ids cannot be guessed or enumerated.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    category: Mapped[str] = mapped_column(String(32))
    marking: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16), default=BulletinState.ACTIVE.value)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the originator retracted it, shown on the tombstone to every recipient; sealed
    # (portal.services.sealed_text), since the reason may name what the bulletin was about.
    ended_reason_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Amendments: each version is its own envelope; ``series_id`` is the first version's id.
    series_id: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("bulletins.id"), unique=True)
    # The STIX report a TAXII post sealed this version from, and that report's ``modified``.
    stix_report_id: Mapped[str | None] = mapped_column(String(120))
    stix_modified: Mapped[str | None] = mapped_column(String(40))
    # Sizes in clear are what listing needs; the contents are in the envelope.
    content_size: Mapped[int] = mapped_column(Integer, default=0)
    entity_count: Mapped[int] = mapped_column(Integer, default=0)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    attachment_size: Mapped[int] = mapped_column(Integer, default=0)
    # The envelope's parts. ``content`` is None once shredded.
    header: Mapped[bytes] = mapped_column(LargeBinary)
    signature: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_records: Mapped[str] = mapped_column(Text, default="[]")

    # Loaded on first use (a listing never needs it); the session's identity map serves repeats.
    sender: Mapped[Organisation] = relationship(foreign_keys=[sender_org_id], viewonly=True)

    def __repr__(self) -> str:
        return f"<Bulletin {self.id} v{self.version} {self.state}>"


class RecipientVia(enum.StrEnum):
    SENDER = "sender"
    SEALED = "sealed"
    RELEASED = "released"


class BulletinRecipient(Base):
    """An organisation that may read a bulletin, and how it came to (sealed to it, or released)."""

    __tablename__ = "bulletin_recipients"
    __table_args__ = (
        # ``via`` makes it covering for the inbox ("sent by us" / "received"): one range scan.
        Index("ix_bulletin_recipients_org_created", "org_id", "created_at", "bulletin_id", "via"),
        # When a bulletin reached an organisation (sealed or released): TAXII's date_added.
        Index("ix_bulletin_recipients_org_added", "org_id", "added_at", "bulletin_id"),
    )

    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    via: Mapped[str] = mapped_column(String(16))
    # The bulletin's creation time, copied so an inbox page is one index range scan.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class BulletinKey(Base):
    """The content key of a bulletin wrapped (HPKE) for one organisation's key version."""

    __tablename__ = "bulletin_keys"
    __table_args__ = (Index("ix_bulletin_keys_org_version", "org_code", "key_version"),)

    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True
    )
    org_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    enc: Mapped[bytes] = mapped_column(LargeBinary)


class BulletinToken(Base):
    """A keyed blind-index token (HMAC) of one normalised identifier a bulletin names.

    Equal identifiers give equal tokens, so the portal can say that an identifier also appears
    in bulletins the asker cannot read, without storing or revealing the identifier.
    """

    __tablename__ = "bulletin_tokens"

    token: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), primary_key=True, index=True
    )
