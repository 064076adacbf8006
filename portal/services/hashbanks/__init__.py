"""Shared hash banks: MD5, SHA-256 and PDQ hashes of known terrorist content, and matching."""
