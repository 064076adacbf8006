"""The bulletin access rule called directly: a recipient row decides, for the sender too;
everything else, a malformed id included, is NotFound; a platform partner sees nothing even
if a row says otherwise; deciding writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from portal.extensions import db
from portal.models import BulletinRecipient, RecipientVia, utcnow
from portal.services.bulletins import lifecycle
from portal.services.bulletins.access import is_originator, readable_ids, visible_bulletin
from portal.services.errors import NotFound
from tests.portal.service_checks import actor_of, unchanged


def readable(reader) -> set[str]:
    return set(db.session.scalars(readable_ids(reader)))


def test_the_sender_and_the_recipients_see_a_bulletin_and_no_one_else(app, desk):
    to_fr = desk.post(recipients=["FR-MININT"])
    from_de = desk.post("de.officer", recipients=["UK-HO"])
    with app.app_context(), unchanged():
        it, fr, de, uk = (desk.reader(f"{c}.analyst") for c in ("it", "fr", "de", "uk"))
        assert readable(it) == {to_fr} and readable(fr) == {to_fr}
        assert readable(de) == readable(uk) == {from_de}
        assert visible_bulletin(fr, to_fr).id == to_fr
        assert is_originator(it, visible_bulletin(it, to_fr))
        assert not is_originator(fr, visible_bulletin(fr, to_fr))
        for reader, bulletin_id in [(de, to_fr), (uk, to_fr), (fr, from_de), (it, from_de)]:
            with pytest.raises(NotFound) as refused:
                visible_bulletin(reader, bulletin_id)
            # "Not yours" reads exactly as "does not exist".
            assert refused.value.message == NotFound().message
            assert refused.value.status == 404


def test_malformed_or_unknown_ids_are_not_found(app, desk):
    posted = desk.post()
    with app.app_context(), unchanged():
        fr = desk.reader("fr.analyst")
        assert visible_bulletin(fr, posted).id == posted
        for bulletin_id in [
            "",
            None,
            "0" * 32,
            posted[:-1],
            posted + "0",
            posted.upper(),  # ids are lower-case hexadecimal
            posted + "\n",
            "g" * 32,
            "' OR 1=1 --",
        ]:
            with pytest.raises(NotFound):
                visible_bulletin(fr, bulletin_id)


def test_a_platform_partner_sees_nothing_even_with_a_recipient_row(app, desk):
    bulletin_id = desk.post()
    with app.app_context():
        platform = desk.reader("platform")
        with db.write() as session:  # a row that should never exist
            session.execute(
                insert(BulletinRecipient).values(
                    bulletin_id=bulletin_id,
                    org_id=platform.org_id,
                    via=RecipientVia.SEALED.value,
                    created_at=utcnow(),
                    added_at=utcnow(),
                )
            )
        assert readable(platform) == set()
        with pytest.raises(NotFound):
            visible_bulletin(platform, bulletin_id)


def test_a_release_makes_the_bulletin_visible_to_the_new_recipient(app, desk):
    bulletin_id = desk.post(recipients=["FR-MININT"])
    with app.app_context():
        uk = desk.reader("uk.analyst")
        with pytest.raises(NotFound):
            visible_bulletin(uk, bulletin_id)
        officer = desk.reader("it.officer")
        lifecycle.release_to(officer, actor_of(officer), bulletin_id, "UK-HO")
        assert visible_bulletin(uk, bulletin_id).id == bulletin_id
        assert readable(uk) == {bulletin_id}
        assert not is_originator(uk, visible_bulletin(uk, bulletin_id))
