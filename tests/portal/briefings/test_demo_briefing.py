"""A briefing of the demo data: the Arabic names its bulletins carry come out of the PDF as
text (shaped and in logical order), on every page the marking and the copy line."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import bulletins as demo_bulletins
from portal.demo import seeding as demo
from portal.extensions import db
from portal.models import BriefingState, Role, User, utcnow
from portal.services.briefings import contents as briefing_contents
from portal.services.briefings import copies
from portal.services.briefings.making import make_briefing, prepared_for
from portal.services.briefings.pdf_renderer import shared_renderer
from portal.services.briefings.selection import (
    BriefingRequest,
    Source,
    chosen_bulletins,
    highest_marking,
)
from portal.services.bulletins.inbox import InboxQuery, matching_ids
from portal.services.principals import Actor, Reader
from tests.portal.briefings.pdf_text import page_texts

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")


def test_demo_briefing_shows_the_arabic_names_as_text(app, tmp_path):
    with app.app_context(), app.test_request_context():
        demo.seed()
        demo_bulletins.seed_bulletins(40)
        email = demo.demo_email(Role.ANALYST, "FR-MININT")
        user = db.session.scalars(select(User).where(User.email == email)).one()
        reader = Reader.of(user)
        ids = matching_ids(reader, InboxQuery(), 60)
        opened = briefing_contents.open_bulletins(
            reader, chosen_bulletins(reader, _request(ids)), utcnow()
        )
        arabic = sorted(
            {
                e.value
                for b in opened.bulletins
                if b.content is not None
                for e in b.content.entities
                if e.type.value == "person" and ARABIC_LETTERS.search(e.value)
            }
        )
        assert arabic, "the demo data names persons in Arabic script"
        chosen = [
            b.id
            for b in opened.bulletins
            if b.content and any(e.value in arabic[:3] for e in b.content.entities)
        ][:6]
        bulletins = chosen_bulletins(reader, _request(chosen))
        actor = Actor.of(user)
        marking = highest_marking(bulletins).value
        copy = copies.start_copy(reader, actor, bulletins, marking, state=BriefingState.RENDERING)
        made = make_briefing(
            reader,
            actor,
            _request(chosen),
            copy,
            user.organisation,
            prepared_for(user),
            shared_renderer(),
            delivered=True,
        )
    path = tmp_path / "demo.pdf"
    path.write_bytes(made.pdf)
    texts = page_texts(path)
    whole = "".join(texts)
    names_in_briefing = [name for name in arabic[:3] if name in whole]
    assert names_in_briefing, f"none of {arabic[:3]} is in the text"
    for number, text in enumerate(texts, start=1):
        assert marking in text and f"Copy {copy.id}" in text, f"page {number}"
        assert f"Page {number} of {len(texts)}" in text


def _request(ids: list[str]) -> BriefingRequest:
    return BriefingRequest(title="Demo brief", source=Source.SELECTION, bulletin_ids=tuple(ids))
