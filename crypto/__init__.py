"""Ischia's cryptography: a pure library over ``cryptography`` (no Flask, no SQLAlchemy)."""
