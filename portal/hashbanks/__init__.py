"""Shared hash banks: the banks an organisation owns or may read, their entries, matching."""
