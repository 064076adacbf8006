"""Configuration: the only module that reads the environment.

Every setting has an embedded default, so a fresh checkout runs with no environment at all:
a SQLite file, a secret key and a master key generated under ``instance/`` with 0600 rights.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

ENV_DATABASE_URL = "DATABASE_URL"
ENV_SECRET_KEY = "SECRET_KEY"  # noqa: S105  (the variable's name, not a secret)
ENV_MASTER_KEY_FILE = "ISCHIA_MASTER_KEY_FILE"
ENV_MASTER_KEY = "ISCHIA_MASTER_KEY"
ENV_REDIS_URL = "REDIS_URL"
ENV_PUBLIC_URL = "ISCHIA_PUBLIC_URL"
ENV_API_RATE_LIMIT = "ISCHIA_API_RATE_LIMIT"
ENV_PROXIES = "ISCHIA_TRUSTED_PROXIES"
ENV_PRODUCTION = "ISCHIA_PRODUCTION"
ENV_DEMO = "ISCHIA_DEMO"
ENV_CHECKPOINT_DIR = "ISCHIA_CHECKPOINT_DIR"
ENV_METRICS_TOKEN = "ISCHIA_METRICS_TOKEN"  # noqa: S105  (the variable's name, not a secret)
ENV_METRICS_ALLOW_FROM = "ISCHIA_METRICS_ALLOW_FROM"
ENV_SQLITE_SYNCHRONOUS = "ISCHIA_SQLITE_SYNCHRONOUS"
ENV_GRAPH_SOCKET = "ISCHIA_GRAPH_SOCKET"
ENV_GRAPH_SOCKETS = "ISCHIA_GRAPH_SOCKETS"


class ConfigError(Exception):
    """A setting is missing or contradicts another one."""


def defaults(instance_path: Path) -> dict[str, Any]:
    """Settings shared by every deployment, before the environment or a test overrides them."""
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'ischia.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # SQLite in WAL mode: FULL syncs the WAL at every commit (a commit survives a power
        # cut); NORMAL only at checkpoints (a commit survives a crash of the portal, not of the
        # machine). PostgreSQL follows its own synchronous_commit.
        "SQLITE_SYNCHRONOUS": "FULL",
        "MASTER_KEY_FILE": str(instance_path / "master.key"),
        "MASTER_KEY": None,
        # Signed checkpoints of the audit chain's head, kept OUTSIDE the database: put this
        # directory on other storage (another disk, a mount only this host may append to).
        "CHECKPOINT_DIR": str(instance_path / "checkpoints"),
        # `flask worker` signs a checkpoint when the newest stored one is older than this.
        "CHECKPOINT_INTERVAL": timedelta(hours=1),
        # /metrics: a bearer token, or client addresses allowed without one (both may be set).
        "METRICS_TOKEN": None,
        "METRICS_ALLOW_FROM": (),
        "REDIS_URL": None,
        # The machine's graph process (``flask graphs serve``): a Unix domain socket path, or
        # None to hold the link graphs in each web process (the embedded default, tests).
        "GRAPH_SOCKET": None,
        # Organisations whose graph another graph process holds: {code or id: socket path}.
        "GRAPH_SOCKETS": {},
        "GRAPH_TIMEOUT_S": 30,
        # The portal's address as its users reach it: the link in watchlist e-mails.
        "PUBLIC_URL": "http://127.0.0.1:5000",
        # Watchlist e-mails: attempts before one is given up (kept as failed, with the error).
        "WATCH_MAIL_MAX_ATTEMPTS": 8,
        "WATCH_MAIL_RETRY_BASE_S": 60,
        "WATCH_MAIL_TIMEOUT_S": 20,
        "PRODUCTION": False,
        "DEMO": False,
        # Sessions: idle and absolute limits are enforced on the server-side session record.
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=15),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "SESSION_COOKIE_NAME": "ischia_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        # Argon2id, tuned to about 100-200 ms here; never below OWASP's m=19 MiB, t=2, p=1.
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST_KIB": 65536,
        "ARGON2_PARALLELISM": 1,
        # Sign-in throttle (portal.services.accounts.authentication.wait_seconds): per e-mail
        # address and client address, 10 free failures in 15 minutes, then a delay of a minute
        # that doubles; 100 failures from anywhere in a day close the address to new clients.
        "LOGIN_FAILURE_LIMIT": 10,
        "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
        "LOGIN_FAILURE_FIRST_DELAY": timedelta(minutes=1),
        "LOGIN_ACCOUNT_CEILING": 100,
        "LOGIN_ACCOUNT_WINDOW": timedelta(hours=24),
        "RATELIMIT_LOGIN_PER_IP": "100 per 15 minutes",
        # Reverse proxies in front of the portal whose X-Forwarded-For/-Proto are trusted: the
        # client's address (rate limits, audit) and https come from them. None by default.
        "TRUSTED_PROXIES": 0,
        # Each check of a briefing PDF is an audit record: no one may fill the trail with them.
        "BRIEFING_VERIFY_LIMIT": "30 per minute",
        "AUDIT_VERIFY_LIMIT": "10 per minute",  # per administrator: each reads the whole chain
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session it is bound to
        "AUDIT_PAGE_SIZE": 50,
        # Above the attachment service's 50 MB total, so a bulletin with its files fits.
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        # Briefings render in a child process under these limits. With REDIS_URL set, a
        # briefing of more than BRIEFING_QUEUE_ABOVE bulletins goes to the job queue instead.
        "API_RATE_LIMIT": "600 per minute",  # per API token
        "BRIEFING_MEMORY_MB": 512,
        "BRIEFING_TIMEOUT_S": 30.0,
        "BRIEFING_QUEUE_ABOVE": 40,
        "BRIEFING_QUEUE_MEMORY_MB": 2048,  # a 200-page briefing needs about 700 MB
        "BRIEFING_QUEUE_TIMEOUT_S": 600,
        "BRIEFING_RESULT_TTL_S": 3600,  # an encrypted, queued PDF waits this long
        # How long a platform has to act on a referral (checked against its own terms), from
        # receipt. A removal order's hour (Regulation (EU) 2021/784, Art. 3(3)) is the law's.
        "REFERRAL_DEADLINE": timedelta(hours=24),
        # Evidence on a referral item (a captured copy, sealed): the largest file accepted.
        # Under MAX_CONTENT_LENGTH, so a too large file gets the service's message.
        "REFERRAL_EVIDENCE_MAX_BYTES": 50 * 1024 * 1024,
        # Platforms' webhooks: each attempt's timeout, the backoff between attempts
        # (base * 2**(n-1), capped) and when to give up. http://127.0.0.1 endpoints are
        # accepted only when TESTING is on as well as this switch (the tests' listener).
        "WEBHOOK_TIMEOUT_S": 5.0,
        "WEBHOOK_RETRY_BASE_S": 30,
        "WEBHOOK_RETRY_MAX_S": 6 * 3600,
        "WEBHOOK_MAX_ATTEMPTS": 8,
        "WEBHOOK_ALLOW_LOOPBACK_HTTP": False,
        # Hash banks: PDQ hashes within this Hamming distance match (at most 31, the radius
        # the index is exact for); uploads to hash are read in memory, up to these limits;
        # a PDQ quality below the minimum is flagged (Meta: below 50 is not to be trusted).
        "HASH_MATCH_DISTANCE": 31,
        "HASH_IMAGE_MAX_BYTES": 10 * 1024 * 1024,
        "HASH_IMAGE_MAX_PIXELS": 50_000_000,
        "HASH_PDQ_MIN_QUALITY": 50,
    }


def database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres(ql)://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret_key(instance_path: Path) -> str:
    """A secret key generated once and kept in ``instance/secret_key`` with 0600 rights."""
    path = instance_path / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key + "\n")
    return key


def from_environment(environ: Mapping[str, str], instance_path: Path) -> dict[str, Any]:
    """Settings from the process environment, over the embedded defaults."""
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    config = defaults(instance_path)
    if environ.get(ENV_DATABASE_URL):
        config["SQLALCHEMY_DATABASE_URI"] = environ[ENV_DATABASE_URL]
    config["PRODUCTION"] = _truthy(environ.get(ENV_PRODUCTION))
    config["DEMO"] = _truthy(environ.get(ENV_DEMO))
    if environ.get(ENV_SECRET_KEY):
        config["SECRET_KEY"] = environ[ENV_SECRET_KEY]
    elif config["PRODUCTION"]:
        raise ConfigError(f"{ENV_SECRET_KEY} must be set when {ENV_PRODUCTION} is on")
    else:
        config["SECRET_KEY"] = _instance_secret_key(instance_path)
    if environ.get(ENV_MASTER_KEY_FILE):
        config["MASTER_KEY_FILE"] = environ[ENV_MASTER_KEY_FILE]
    if environ.get(ENV_MASTER_KEY):
        config["MASTER_KEY"] = environ[ENV_MASTER_KEY]
    if environ.get(ENV_REDIS_URL):
        config["REDIS_URL"] = environ[ENV_REDIS_URL]
    if environ.get(ENV_PUBLIC_URL):
        config["PUBLIC_URL"] = environ[ENV_PUBLIC_URL].rstrip("/")
    if environ.get(ENV_API_RATE_LIMIT):
        config["API_RATE_LIMIT"] = environ[ENV_API_RATE_LIMIT]
    if environ.get(ENV_CHECKPOINT_DIR):
        config["CHECKPOINT_DIR"] = environ[ENV_CHECKPOINT_DIR]
    if environ.get(ENV_METRICS_TOKEN):
        config["METRICS_TOKEN"] = environ[ENV_METRICS_TOKEN]
    if environ.get(ENV_METRICS_ALLOW_FROM):
        config["METRICS_ALLOW_FROM"] = tuple(
            part.strip() for part in environ[ENV_METRICS_ALLOW_FROM].split(",") if part.strip()
        )
    if environ.get(ENV_SQLITE_SYNCHRONOUS):
        config["SQLITE_SYNCHRONOUS"] = environ[ENV_SQLITE_SYNCHRONOUS].strip().upper()
    if environ.get(ENV_GRAPH_SOCKET):
        config["GRAPH_SOCKET"] = environ[ENV_GRAPH_SOCKET]
    if environ.get(ENV_GRAPH_SOCKETS):
        config["GRAPH_SOCKETS"] = _graph_routes(environ[ENV_GRAPH_SOCKETS])
    if environ.get(ENV_PROXIES):
        config["TRUSTED_PROXIES"] = _proxy_count(environ[ENV_PROXIES])
    return config


def _graph_routes(value: str) -> dict[str, str]:
    """``DE-BMI=/run/ischia/graph-de.sock,FR-DGSI=/run/ischia/graph-fr.sock``: organisation
    code (or id) to the socket of the graph process that holds its graph."""
    routes = {}
    for part in value.split(","):
        if not part.strip():
            continue
        org, sep, path = part.partition("=")
        if not sep or not org.strip() or not path.strip().startswith("/"):
            raise ConfigError(
                f"{ENV_GRAPH_SOCKETS}: write ORG=/path/to/socket, separated by commas."
            )
        routes[org.strip()] = path.strip()
    return routes


def _proxy_count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        count = -1
    if not 0 <= count <= 5:
        raise ConfigError(
            f"{ENV_PROXIES} must be the number of reverse proxies in front of the portal "
            f"(0 to 5), not {value!r}"
        )
    return count


def finalise(config: dict[str, Any]) -> None:
    """Derive dependent settings and refuse contradictory ones (run after any override)."""
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is empty")
    if config["PRODUCTION"] and config["DEMO"]:
        raise ConfigError(f"{ENV_DEMO} cannot be on in production: demo mode reveals TOTP codes")
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["SQLALCHEMY_DATABASE_URI"])
    if config["REDIS_URL"]:
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    if config["PRODUCTION"]:
        # Browsers only accept __Host- cookies that are Secure, host-only and for path /.
        config["SESSION_COOKIE_NAME"] = "__Host-ischia_session"
        config["SESSION_COOKIE_SECURE"] = True
        config["SESSION_COOKIE_DOMAIN"] = None
        config["SESSION_COOKIE_PATH"] = "/"
    if config["SQLITE_SYNCHRONOUS"] not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(
            f"{ENV_SQLITE_SYNCHRONOUS} must be FULL, NORMAL or EXTRA, "
            f"not {config['SQLITE_SYNCHRONOUS']!r}"
        )
    if config["ARGON2_MEMORY_COST_KIB"] < 19456 or config["ARGON2_TIME_COST"] < 2:
        raise ConfigError("Argon2id parameters below m=19 MiB, t=2 are not allowed")
