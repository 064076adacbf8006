"""Making one briefing copy: choose, open, lay out, render, sign, record.

The same steps run in the request (the embedded default) and in a queue worker; both go
through :func:`make_briefing`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask_babel import gettext

from portal.i18n import speaking
from portal.models import BriefingCopy, Organisation, User, utcnow
from portal.services.briefings import contents as briefing_contents
from portal.services.briefings import copies, signing
from portal.services.briefings.layout import Cover, briefing_html
from portal.services.briefings.pdf_renderer import Renderer, RenderFailed
from portal.services.briefings.selection import (
    BriefingRequest,
    Source,
    chosen_bulletins,
    highest_marking,
)
from portal.services.errors import ServiceError
from portal.services.principals import Actor, Reader


@dataclass(frozen=True)
class MadeBriefing:
    copy_id: str
    pdf: bytes
    pages: int
    seconds_in_weasyprint: float


def filename(copy: BriefingCopy) -> str:
    return f"ischia-briefing-{copy.created_at:%Y%m%d}-{copy.id}.pdf"


def prepared_for(user: User) -> str:
    """Whom the copy is made for, as its cover, every page and its signed claims name them."""
    return f"{user.name} <{user.email}>"


def make_briefing(
    reader: Reader,
    actor: Actor,
    request: BriefingRequest,
    copy: BriefingCopy,
    org: Organisation,
    prepared_for: str,
    renderer: Renderer,
    *,
    delivered: bool,
    keep: Callable[[bytes], None] | None = None,
) -> MadeBriefing:
    """Render and sign ``copy``: exactly the bulletins recorded on it, each checked again.

    ``keep`` stores the signed PDF (the queue's store) before the copy is marked ready. On any
    failure the copy is marked failed with a reason for the user, and the error raised again.
    The briefing, and any reason it failed, are written in the copy's language (its
    requester's when they asked for it), in the request and in a queue worker alike.
    """
    with speaking(copy.language):
        try:
            return _make(reader, actor, request, copy, org, prepared_for, renderer, delivered, keep)
        except (RenderFailed, ServiceError) as error:
            copies.fail_copy(copy.id, actor, error.message)
            raise
        except BaseException:
            copies.fail_copy(
                copy.id, actor, gettext("The briefing could not be made (an internal error).")
            )
            raise


def _make(
    reader: Reader,
    actor: Actor,
    request: BriefingRequest,
    copy: BriefingCopy,
    org: Organisation,
    prepared_for: str,
    renderer: Renderer,
    delivered: bool,
    keep: Callable[[bytes], None] | None,
) -> MadeBriefing:
    # The copy's own list, not the filter again: what was recorded (and marked) is what renders.
    recorded = replace(request, source=Source.SELECTION, bulletin_ids=tuple(copy.bulletin_ids))
    bulletins = chosen_bulletins(reader, recorded)
    if highest_marking(bulletins).value != copy.marking:
        raise ServiceError(gettext("The bulletins' markings changed: make the briefing again."))
    previous = copies.previous_briefing(copy)
    contents = briefing_contents.open_bulletins(reader, bulletins, utcnow(), previous)
    heading = briefing_contents.Heading(
        copy_id=copy.id,
        title=request.title,
        cover_note=request.cover_note,
        marking=copy.marking,
        prepared_for=prepared_for,
        org_code=org.code,
        created_at=copy.created_at,
    )
    digest = briefing_contents.content_digest(briefing_contents.manifest(contents, heading))
    key_version, fingerprint = signing.signing_key(org.code)
    cover = Cover(heading, org.name, digest, key_version, fingerprint)
    rendered = renderer.render(briefing_html(cover, contents))
    claims = {
        "copy": copy.id,
        "org": org.code,
        "prepared_for": prepared_for,
        "user_id": reader.user_id,
        "created_at": copy.created_at.isoformat(),
        "marking": copy.marking,
        "bulletins": len(bulletins),
        "pages": rendered.pages,
        "content_sha256": digest,
    }
    pdf = signing.sign_for(org.code, rendered.pdf, claims)
    if keep is not None:
        keep(pdf)
    copies.finish_copy(
        copy.id,
        actor,
        pages=rendered.pages,
        size=len(pdf),
        content_sha256=digest,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        delivered=delivered,
    )
    return MadeBriefing(copy.id, pdf, rendered.pages, rendered.seconds)
