"""The job queue for large briefings: which ones go there, the RQ job a worker runs, and the
PDF it leaves for the download.

A briefing is made in the request (the embedded default), or by an RQ worker when
``REDIS_URL`` is set and the briefing is large. Nothing of a briefing waits on the server in
clear: the queued request (title, cover note, choice) and the finished PDF are sealed under a
key derived from the master key, bound to the copy id, and the PDF expires from Redis after
``BRIEFING_RESULT_TTL_S``.
"""

from __future__ import annotations

import json
from typing import Any, cast

from flask import current_app
from flask_babel import gettext
from redis import Redis
from rq import Queue

from crypto.secretbox import SecretBoxError
from portal import vault
from portal.extensions import db
from portal.i18n import speaking
from portal.models import BriefingCopy, BriefingState, User
from portal.services.briefings import BRIEFING_ROLES, copies
from portal.services.briefings.making import make_briefing, prepared_for
from portal.services.briefings.pdf_renderer import RenderFailed, shared_renderer
from portal.services.briefings.selection import BriefingRequest, Source
from portal.services.errors import ServiceError
from portal.services.principals import Actor, Reader

QUEUE_NAME = "ischia-briefings"


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def uses_queue(bulletin_count: int) -> bool:
    return queue_enabled() and bulletin_count > current_app.config["BRIEFING_QUEUE_ABOVE"]


def _redis() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=_redis())


def _seal(data: bytes, copy_id: str) -> bytes:
    return vault.briefing_queue_box().seal(data, copy_id.encode())


def _open(sealed: bytes, copy_id: str) -> bytes:
    return vault.briefing_queue_box().open(sealed, copy_id.encode())


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
    sealed = _seal(_request_to_json(request), copy.id)
    queue().enqueue(
        run_job,
        copy.id,
        sealed.hex(),
        job_id=f"briefing-{copy.id}",
        job_timeout=current_app.config["BRIEFING_QUEUE_TIMEOUT_S"] + 120,
        result_ttl=0,
        failure_ttl=current_app.config["BRIEFING_RESULT_TTL_S"],
    )


def _queued_request(copy: BriefingCopy, sealed_request: str) -> BriefingRequest | None:
    """The request as the web or the API queued it; None if it cannot be opened."""
    try:
        return _request_from_json(_open(bytes.fromhex(sealed_request), copy.id), copy)
    except (ValueError, KeyError, SecretBoxError):
        return None


def _result_key(copy_id: str) -> str:
    return f"ischia:briefing-pdf:{copy_id}"


def _keep(copy_id: str, pdf: bytes) -> None:
    ttl = current_app.config["BRIEFING_RESULT_TTL_S"]
    _redis().set(_result_key(copy_id), _seal(pdf, copy_id), ex=ttl)


def queued_pdf(copy: BriefingCopy) -> bytes | None:
    """The PDF a worker made; None once it has expired from Redis, or when there is no queue."""
    if not queue_enabled():
        return None
    # redis-py types every reply as "Awaitable[Any] | Any", for its async client's sake: this
    # client is synchronous and does not decode, so a value is bytes.
    sealed = cast(bytes | None, _redis().get(_result_key(copy.id)))
    if sealed is None:
        return None
    return _open(bytes(sealed), copy.id)


def _may_brief(user: User) -> bool:
    return user.active and bool(user.roles & BRIEFING_ROLES)


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
    queued = copies.queued_copy(copy_id)
    if queued is None:
        return
    user = queued.user
    actor = Actor.of(user)
    if not _may_brief(user):
        with speaking(queued.copy.language):
            reason = gettext("The account lost its access before the briefing was made.")
        copies.fail_copy(copy_id, actor, reason)
        return
    request = _queued_request(queued.copy, sealed_request)
    if request is None:
        with speaking(queued.copy.language):
            reason = gettext("The queued request could not be read.")
        copies.fail_copy(copy_id, actor, reason)
        return
    copies.set_state(copy_id, BriefingState.RENDERING)
    try:
        make_briefing(
            Reader.of(user),
            actor,
            request,
            queued.copy,
            queued.organisation,
            prepared_for(user),
            shared_renderer(queued=True),
            delivered=False,
            keep=lambda pdf: _keep(copy_id, pdf),
        )
    except (RenderFailed, ServiceError):
        return  # make_briefing marked the copy failed, with the reason for the user
