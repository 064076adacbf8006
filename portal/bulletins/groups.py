"""Bulletin views: sharing groups (being written)."""

from __future__ import annotations

from portal.bulletins.blueprint import blueprint

__all__ = ["blueprint"]
