"""Watchlist fixtures: the bulletin desk (four ministries and a platform)."""

from tests.portal.bulletins.conftest import desk  # noqa: F401  (the fixture)
