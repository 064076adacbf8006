"""Comments and sightings on bulletins, sealed to exactly the readers of the version commented.

A comment's text (and a sighting's entity, place, date and note) is encrypted under a key
derived from the content key of the bulletin version it was made on (:mod:`crypto.comments`):
only an organisation whose key opens that version opens the comment, and shredding the
version (retraction, expiry) shreds its comments with it. ``statement`` is the commenting
organisation's signed statement over the comment's ids, author, time and ciphertext digest.
Only routing data are in clear: ids, the series, the version, who and when, and the kind.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    SIGHTING = "sighting"


class BulletinComment(Base):
    __tablename__ = "bulletin_comments"
    __table_args__ = (
        # A series' comments, oldest first: the read page and the API.
        Index("ix_bulletin_comments_series_created", "series_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    series_id: Mapped[str] = mapped_column(String(32))
    # The version it was made on, whose content key seals it.
    bulletin_id: Mapped[str] = mapped_column(
        ForeignKey("bulletins.id", ondelete="CASCADE"), index=True
    )
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    statement: Mapped[str] = mapped_column(Text)
