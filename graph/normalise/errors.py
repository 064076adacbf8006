"""The one error that normalisation raises."""

from __future__ import annotations

__all__ = ["NotNormalisable"]


class NotNormalisable(ValueError):
    """The text is not an identifier of the kind asked for (no key can be made)."""
