"""Making one briefing copy: choose, open, lay out, render, sign, record.

The same steps run in the request (the embedded default) and in a queue worker; both go
through :func:`make_briefing`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from portal.briefings.document import Cover, briefing_html
from portal.briefings.renderer import Renderer, RenderFailed
from portal.models import BriefingCopy, Organisation, utcnow
from portal.services.audit import Actor
from portal.services.briefings import contents as briefing_contents
from portal.services.briefings import copies, signing
from portal.services.briefings.selection import BriefingRequest, chosen_bulletins
from portal.services.bulletin_access import Reader
from portal.services.errors import ServiceError


@dataclass(frozen=True)
class MadeBriefing:
    copy_id: str
    pdf: bytes
    pages: int
    seconds_in_weasyprint: float


def filename(copy: BriefingCopy) -> str:
    return f"ischia-briefing-{copy.created_at:%Y%m%d}-{copy.id}.pdf"


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
) -> MadeBriefing:
    """Render and sign ``copy``; on failure the copy is marked failed and RenderFailed raised."""
    try:
        bulletins = chosen_bulletins(reader, request)
        now = utcnow()
        contents = briefing_contents.open_bulletins(reader, bulletins, now)
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
    except (RenderFailed, ServiceError) as error:
        copies.fail_copy(copy.id, actor, error.message)
        raise
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
