"""Organisation private keys at rest: blobs sealed by :class:`crypto.Keystore` under the master key.

The database holds only sealed blobs; the master key is never stored here, so a stolen
database or backup opens no private key and no bulletin.
"""

from __future__ import annotations

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class KeyBlob(Base):
    __tablename__ = "key_blobs"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
