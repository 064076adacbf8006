"""Files that appear whole or not at all: write a temporary file, fsync it, rename it into
place, fsync the directory (so the rename itself survives a power cut). The same writer keeps
the master key file (``crypto.masterkey``)."""

from __future__ import annotations

from crypto.masterkey import fsync_directory, write_durably

__all__ = ["fsync_directory", "write_durably"]
