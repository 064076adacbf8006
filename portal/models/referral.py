"""Referrals and removal orders: content a ministry or observer asks a platform to act on.

A :class:`Referral` is what one organisation signed and sent to one platform: one or many
:class:`ReferralItem` rows, each a piece of content with its own deadline and state. Items
that name the same content (the same normalised URL, or the same SHA-256 evidence hash) for
the same platform belong to one :class:`ReferralCase`, found through its
:class:`ReferralCaseKey` rows. Every state change of an item is appended to the
:class:`ReferralLedgerEntry` table, which is never updated or deleted from.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class ReferralKind(enum.StrEnum):
    REFERRAL = "referral"  # the platform checks the content against its own terms
    REMOVAL_ORDER = "removal_order"  # Regulation (EU) 2021/784: act within one hour


class ItemState(enum.StrEnum):
    RECEIVED = "received"
    CLAIMED = "claimed"
    QUESTION = "question"  # the platform asked the referrer for more information
    DECIDED = "decided"
    REINSTATED = "reinstated"  # decided, then the content was put back (after a complaint)
    WITHDRAWN = "withdrawn"


class ReferralCase(Base):
    """Every item that names one piece of content on one platform."""

    __tablename__ = "referral_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReferralCaseKey(Base):
    """A normalised URL key (``url:...``) or evidence hash (``sha256:...``) of a case."""

    __tablename__ = "referral_case_keys"
    __table_args__ = (UniqueConstraint("platform_org_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(String(2100))
    case_id: Mapped[str] = mapped_column(ForeignKey("referral_cases.id"), index=True)


class Referral(Base):
    """What one organisation signed and sent to one platform."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_referrer_received", "referrer_org_id", "received_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    referrer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    referrer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The referrer's signed statement (crypto.statement) over the canonical referral.
    statement: Mapped[str] = mapped_column(Text)


class ReferralItem(Base):
    """One piece of content in a referral, with its deadline and where it stands."""

    __tablename__ = "referral_items"
    __table_args__ = (
        UniqueConstraint("referral_id", "position"),
        # The platform's queue: its items by deadline.
        Index("ix_referral_items_platform_deadline", "platform_org_id", "deadline_at"),
        # Its open items due first and their cases, from the index alone, one state at a time.
        Index(
            "ix_referral_items_platform_state_deadline",
            "platform_org_id",
            "state",
            "deadline_at",
            "case_id",
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"))
    position: Mapped[int] = mapped_column(Integer)
    platform_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    referrer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("referral_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2048))
    url_key: Mapped[str] = mapped_column(String(2100))
    account: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(3))
    attributed_group: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    hashes: Mapped[list[str]] = mapped_column(JSON)  # "sha256:<hex>" or "md5:<hex>"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The deadline the referrer signed: never changed, an answered question included (the
    # restarted clock of Art. 3(8) goes on the ledger beside it).
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))
    first_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_countries: Mapped[list[str] | None] = mapped_column(JSON)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ReferralLedgerEntry(Base):
    """One state change of an item, appended and never changed: who, when, what."""

    __tablename__ = "referral_ledger"
    __table_args__ = (Index("ix_referral_ledger_item_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("referral_items.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
