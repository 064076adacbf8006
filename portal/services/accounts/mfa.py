"""TOTP second factor (RFC 6238 via pyotp): enrolment, QR codes, verification once per code."""

from __future__ import annotations

import hmac
import io
import time

import pyotp
import segno

from portal import vault
from portal.models import User

ISSUER = "Ischia"
STEP_SECONDS = 30
# One step either side tolerates clocks a little apart, no more.
DRIFT_STEPS = 1


def _context(user: User) -> bytes:
    return f"totp:user:{user.id}".encode()


def new_secret(user: User) -> None:
    """Give the user a fresh, unconfirmed TOTP seed, sealed under the master key."""
    user.totp_secret_sealed = vault.totp_box().seal(pyotp.random_base32().encode(), _context(user))
    user.totp_confirmed = False
    user.totp_last_step = 0


def secret(user: User) -> str:
    if user.totp_secret_sealed is None:
        raise LookupError("this user has no TOTP seed")
    return vault.totp_box().open(user.totp_secret_sealed, _context(user)).decode()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(secret(user)).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    """The enrolment QR code as inline SVG, drawn by the portal (no external service)."""
    buffer = io.BytesIO()
    segno.make(provisioning_uri(user), error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, nl=False
    )
    return buffer.getvalue().decode()


def current_code(user: User, at: float | None = None) -> str:
    return pyotp.TOTP(secret(user)).at(int(at if at is not None else time.time()))


def accept_code(
    user: User, code: str, at: float | None = None, *, again_in_window: bool = False
) -> bool:
    """Accept a code at most once: its time step must be later than the last one accepted.

    With ``again_in_window`` (demo users in demo mode only), the last accepted step is
    accepted again, so the code the demo's sign-in page shows works more than once within
    its window. On success the accepted step is recorded on ``user`` (the caller commits it).
    """
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit() or user.totp_secret_sealed is None:
        return False
    totp = pyotp.TOTP(secret(user))
    now = int(at if at is not None else time.time())
    current_step = now // STEP_SECONDS
    for step in range(current_step - DRIFT_STEPS, current_step + DRIFT_STEPS + 1):
        if step < user.totp_last_step or (step == user.totp_last_step and not again_in_window):
            continue
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            user.totp_last_step = step
            return True
    return False
