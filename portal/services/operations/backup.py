"""Backups: a consistent online copy of the database with its schema version, and its restore
into an empty database.

A backup is a gzip'd tar of ``manifest.json`` and one database file: an SQLite copy made with
SQLite's online backup API (one step, under one read lock, so a consistent snapshot while the
portal writes), or a ``pg_dump`` custom-format archive (one repeatable-read snapshot). The
manifest names the format, the backend, the Alembic revision, the audit head and the payload's
SHA-256. The master key is never in it: the database holds only sealed data, and a backup
opens with the key kept elsewhere, or not at all.

Restore refuses a database that holds anything, a backup of another backend, one whose schema
is newer than this code, and one whose payload does not match its manifest; a backup from an
older schema is restored and then migrated up.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from portal import schema
from portal.models import AuditHead, Base, utcnow
from portal.services.errors import InvalidInput
from portal.services.operations.durable import write_durably

FORMAT = "ischia-backup/1"
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(InvalidInput):
    """The backup cannot be made or restored; the message names the problem."""


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    audit_seq: int
    sha256: str
    size: int

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "backend": self.backend,
                "schema_revision": self.revision,
                "created_at": self.created_at,
                "audit_head_seq": self.audit_seq,
                "payload": PAYLOAD[self.backend],
                "payload_sha256": self.sha256,
                "payload_size": self.size,
                "master_key_included": False,
            },
            indent=2,
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            doc = json.loads(data)
            if doc.get("format") != FORMAT:
                raise BackupError(f"not an Ischia backup of format {FORMAT}", field="file")
            return cls(
                backend=str(doc["backend"]),
                revision=doc["schema_revision"],
                created_at=str(doc["created_at"]),
                audit_seq=int(doc["audit_head_seq"]),
                sha256=str(doc["payload_sha256"]),
                size=int(doc["payload_size"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"the backup's manifest is malformed: {exc}", field="file") from exc


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in PAYLOAD:
        raise BackupError(f"backups of {name} databases are not supported", field="file")
    return name


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it (never argv)."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} is not installed: {what} needs it", field="file") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-500:]}", field="file")


def _dump(engine: Engine, target: Path) -> None:
    if _backend(engine) == "sqlite":
        with engine.connect() as connection:
            source = connection.connection.driver_connection
            destination = sqlite3.connect(target)
            try:
                source.backup(destination)  # type: ignore[union-attr]  # all pages in one step
            finally:
                destination.close()
        return
    url, env = _libpq(engine)
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={target}", url],
        env,
        "pg_dump",
    )


def _audit_seq(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(AuditHead.seq)) or 0)


def create(engine: Engine, path: Path) -> Manifest:
    """Write a backup of ``engine``'s database to ``path`` (0600; it appears whole or not)."""
    backend = _backend(engine)
    with tempfile.TemporaryDirectory(prefix="ischia-backup-") as scratch:
        payload = Path(scratch) / PAYLOAD[backend]
        revision = schema.current_revision(engine)
        audit_seq = _audit_seq(engine)
        _dump(engine, payload)
        digest = hashlib.sha256()
        with payload.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        manifest = Manifest(
            backend,
            revision,
            utcnow().isoformat(),
            audit_seq,
            digest.hexdigest(),
            payload.stat().st_size,
        )
        archive = Path(scratch) / "backup.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(payload, arcname=payload.name)
        write_durably(path, archive.read_bytes(), mode=0o600)
    return manifest


def read_manifest(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise BackupError("the backup has no manifest", field="file")
            return Manifest.from_json(member.read())
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise BackupError(f"{path} is not a readable backup: {exc}", field="file") from exc


def _known_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _check_schema(manifest: Manifest) -> None:
    if manifest.revision is None:
        raise BackupError("the backup's database has no schema revision", field="file")
    try:
        known = _known_revisions()
    except CommandError as exc:  # pragma: no cover - the migrations ship with the code
        raise BackupError(f"the migrations cannot be read: {exc}") from exc
    if manifest.revision not in known:
        raise BackupError(
            f"the backup is from a newer schema (revision {manifest.revision}) than this "
            f"portal knows (head {schema.head_revision()}): restore it with the portal version "
            "that made it, or a newer one",
            field="file",
        )


def occupied_tables(engine: Engine) -> list[str]:
    """Tables of the portal's schema that hold rows (the audit head counts once it moved)."""
    existing = set(schema.table_names(engine))
    found = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name not in existing:
                continue
            if table.name == AuditHead.__tablename__:
                if connection.scalar(select(func.max(AuditHead.seq))):
                    found.append(table.name)
            elif connection.scalar(select(func.count()).select_from(table)):
                found.append(table.name)
    return found


def _extract(path: Path, manifest: Manifest, scratch: Path) -> Path:
    name = PAYLOAD[manifest.backend]
    target = scratch / name
    with tarfile.open(path, "r:gz") as tar:
        member = tar.extractfile(name)
        if member is None:
            raise BackupError(f"the backup has no {name}", field="file")
        digest = hashlib.sha256()
        with target.open("wb") as out:
            for block in iter(lambda: member.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    if digest.hexdigest() != manifest.sha256:
        raise BackupError(
            "the backup's database does not match its manifest's SHA-256: it "
            "was damaged or altered",
            field="file",
        )
    return target


def _sqlite_path(engine: Engine) -> Path:
    database = make_url(str(engine.url.render_as_string(hide_password=False))).database
    if not database or database == ":memory:":
        raise BackupError("restore needs an SQLite database file", field="file")
    return Path(database)


def restore(engine: Engine, path: Path) -> Manifest:
    """Restore the backup at ``path`` into ``engine``'s database, which must be empty."""
    manifest = read_manifest(path)
    backend = _backend(engine)
    if manifest.backend != backend:
        raise BackupError(
            f"the backup is of a {manifest.backend} database; this portal uses {backend}",
            field="file",
        )
    _check_schema(manifest)
    occupied = occupied_tables(engine)
    if occupied:
        raise BackupError(
            "the database is not empty (rows in "
            + ", ".join(occupied[:5])
            + (", ..." if len(occupied) > 5 else "")
            + "): restore only into a new, empty database",
            field="database",
        )
    with tempfile.TemporaryDirectory(prefix="ischia-restore-") as scratch:
        payload = _extract(path, manifest, Path(scratch))
        if backend == "sqlite":
            _restore_sqlite(engine, payload)
        else:
            url, env = _libpq(engine)
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-acl",
                    "--single-transaction",
                    f"--dbname={url}",
                    str(payload),
                ],
                env,
                "pg_restore",
            )
    engine.dispose()
    schema.upgrade(engine)  # a backup from an older schema is brought up to this code's
    return manifest


def _restore_sqlite(engine: Engine, payload: Path) -> None:
    target = _sqlite_path(engine)
    engine.dispose()
    source = sqlite3.connect(payload)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    finally:
        source.close()
        destination.close()
    os.chmod(target, 0o600)


__all__ = ["BackupError", "Manifest", "create", "occupied_tables", "read_manifest", "restore"]
