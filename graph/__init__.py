"""Ischia's link graphs: a pure library over NetworkX (no Flask, no SQLAlchemy)."""
