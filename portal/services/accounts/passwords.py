"""Password policy (ASVS V2.1) and Argon2id hashing."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext

from portal.services.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 128
_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("portal").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def normalise(password: str) -> str:
    """NFKC, so the same password typed on two keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, *, email: str = "", field: str = "password") -> str:
    """Return the normalised password, or raise :class:`InvalidInput` saying what is wrong."""
    password = normalise(password)
    length = len(password)
    if length < MIN_LENGTH:
        raise InvalidInput(
            gettext("Password must have at least %(count)s characters.", count=MIN_LENGTH),
            field=field,
        )
    if length > MAX_LENGTH:
        raise InvalidInput(
            gettext("Password must have at most %(count)s characters.", count=MAX_LENGTH),
            field=field,
        )
    folded = password.casefold()
    core = _DECORATION.sub("", folded)
    common = common_passwords()
    if folded in common or core in common or _is_repetition(folded):
        raise InvalidInput(gettext("This password is too common; choose another."), field=field)
    local_part = email.split("@", 1)[0].casefold()
    if len(local_part) >= 4 and local_part in folded:
        raise InvalidInput(gettext("Password must not contain your e-mail name."), field=field)
    return password


def _is_repetition(folded: str) -> bool:
    """True for a short piece repeated, such as 'abcabcabcabc' or 'aaaaaaaaaaaa'."""
    for size in range(1, len(folded) // 2 + 1):
        if len(folded) % size == 0 and folded[:size] * (len(folded) // size) == folded:
            return True
    return False


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(normalise(password))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return PasswordHasher(time_cost, memory_cost, parallelism=parallelism, type=Type.ID).hash(
        "ischia-dummy-password"
    )


def spend_verification_time(password: str) -> None:
    """Verify against a dummy hash so an unknown e-mail costs as long as a wrong password."""
    config = current_app.config
    verify_password(
        _dummy_hash(
            config["ARGON2_TIME_COST"],
            config["ARGON2_MEMORY_COST_KIB"],
            config["ARGON2_PARALLELISM"],
        ),
        password,
    )
