"""The referral pages: a ministry refers content, a platform works its queue."""

from __future__ import annotations

from portal.referrals.blueprint import blueprint

__all__ = ["blueprint"]
