"""Where a briefing is made: in the request (embedded default), or by an RQ worker when
``REDIS_URL`` is set and the briefing is large.

Nothing of a briefing waits on the server in clear: the queued request (title, cover note,
choice) and the finished PDF are sealed under a key derived from the master key, bound to the
copy id, and the PDF expires from Redis after ``BRIEFING_RESULT_TTL_S``.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue

from crypto.secretbox import SecretBox, SecretBoxError
from portal import vault
from portal.briefings.making import make_briefing
from portal.briefings.renderer import Renderer, RenderFailed, RenderLimits
from portal.extensions import db
from portal.models import BriefingCopy, BriefingState, Organisation, Role, User
from portal.services.briefings import copies
from portal.services.briefings.selection import BriefingRequest, Source
from portal.services.errors import ServiceError
from portal.services.principals import Actor, Reader

QUEUE_NAME = "ischia-briefings"
BRIEFING_ROLES = frozenset({Role.OFFICIAL, Role.ANALYST})
_RENDERERS: dict[RenderLimits, Renderer] = {}
_RENDERERS_LOCK = threading.Lock()


def renderer(*, queued: bool = False) -> Renderer:
    """This process's rendering child for the app's limits (started on first use).

    One per process, not per app: WeasyPrint is imported once per worker. A queue worker
    renders the large briefings, under the larger queue limits.
    """
    config = current_app.config
    limits = RenderLimits(
        memory_mb=config["BRIEFING_QUEUE_MEMORY_MB" if queued else "BRIEFING_MEMORY_MB"],
        timeout_s=config["BRIEFING_QUEUE_TIMEOUT_S" if queued else "BRIEFING_TIMEOUT_S"],
    )
    with _RENDERERS_LOCK:
        existing = _RENDERERS.get(limits)
        if existing is None:
            existing = _RENDERERS[limits] = Renderer(limits)
    return existing


def close_renderers() -> None:
    """Stop this process's rendering children (they start again on the next render)."""
    with _RENDERERS_LOCK:
        for existing in _RENDERERS.values():
            existing.close()


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def uses_queue(bulletin_count: int) -> bool:
    return queue_enabled() and bulletin_count > current_app.config["BRIEFING_QUEUE_ABOVE"]


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=_redis())


def _box() -> SecretBox:
    return SecretBox(vault.master_key(), b"briefing-queue")


def _request_to_json(request: BriefingRequest) -> bytes:
    # The worker renders the bulletins recorded on the copy; only the words travel.
    return json.dumps({"title": request.title, "cover_note": request.cover_note}).encode()


def _request_from_json(data: bytes, copy: BriefingCopy) -> BriefingRequest:
    doc: dict[str, Any] = json.loads(data)
    return BriefingRequest(
        title=str(doc["title"]),
        source=Source.SELECTION,
        cover_note=str(doc["cover_note"]),
        bulletin_ids=tuple(copy.bulletin_ids),
    )


def enqueue(copy: BriefingCopy, request: BriefingRequest) -> None:
    sealed = _box().seal(_request_to_json(request), copy.id.encode())
    queue().enqueue(
        run_job,
        copy.id,
        sealed.hex(),
        job_id=f"briefing-{copy.id}",
        job_timeout=current_app.config["BRIEFING_QUEUE_TIMEOUT_S"] + 120,
        result_ttl=0,
        failure_ttl=current_app.config["BRIEFING_RESULT_TTL_S"],
    )


def _result_key(copy_id: str) -> str:
    return f"ischia:briefing-pdf:{copy_id}"


def run_job(copy_id: str, sealed_request: str) -> None:
    """The worker's job: make the copy as its user, with that user's rights as they are now.

    The worker keeps one app context for its life: each job ends its session, so the next
    job reads the database as it is then, not a snapshot left open by this one.
    """
    try:
        _run(copy_id, sealed_request)
    finally:
        db.session.remove()


def _run(copy_id: str, sealed_request: str) -> None:
    copy = db.session.get(BriefingCopy, copy_id)
    if copy is None or copy.state != BriefingState.QUEUED.value:
        return
    user = db.session.get_one(User, copy.user_id)
    actor = Actor.of(user)
    if not user.active or not user.roles & BRIEFING_ROLES:
        copies.fail_copy(
            copy_id, actor, "The account lost its access before the briefing was made."
        )
        return
    try:
        sealed = bytes.fromhex(sealed_request)
        request = _request_from_json(_box().open(sealed, copy_id.encode()), copy)
    except (ValueError, KeyError, SecretBoxError):
        copies.fail_copy(copy_id, actor, "The queued request could not be read.")
        return
    copies.set_state(copy_id, BriefingState.RENDERING)
    org = db.session.get_one(Organisation, user.organisation_id)
    ttl = current_app.config["BRIEFING_RESULT_TTL_S"]

    def keep(pdf: bytes) -> None:
        _redis().set(_result_key(copy_id), _box().seal(pdf, copy_id.encode()), ex=ttl)

    try:
        make_briefing(
            Reader.of(user),
            actor,
            request,
            copy,
            org,
            prepared_for(user),
            renderer(queued=True),
            delivered=False,
            keep=keep,
        )
    except (RenderFailed, ServiceError):
        return  # make_briefing marked the copy failed, with the reason for the user


def queued_pdf(copy: BriefingCopy) -> bytes | None:
    """The PDF a worker made, or None once it has expired from Redis."""
    sealed = _redis().get(_result_key(copy.id))
    if sealed is None:
        return None
    return _box().open(bytes(sealed), copy.id.encode())


def prepared_for(user: User) -> str:
    return f"{user.name} <{user.email}>"
