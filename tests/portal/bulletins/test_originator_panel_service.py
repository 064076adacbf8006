"""The originator panel service called directly: what the originating liaison officer may
still do with a bulletin (release to whom, which versions a retraction shreds, pending
requests); nothing for anyone else; NotFound or Forbidden from the page's entry point; and
never a write."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import AccessRequest, AccessRequestState, Bulletin
from portal.services.bulletins import lifecycle
from portal.services.bulletins.originator_panel import (
    ReleaseChoice,
    originator_panel,
    panel_for,
)
from portal.services.errors import Forbidden, NotFound
from tests.portal.bulletins.sessions import amend, retract
from tests.portal.service_checks import actor_of, unchanged


def panel(desk, who, bulletin_id, **kwargs):
    return originator_panel(desk.reader(who), db.session.get_one(Bulletin, bulletin_id), **kwargs)


def ask(desk, who, bulletin_id, state=AccessRequestState.PENDING):
    reader = desk.reader(who)
    with db.write() as session:
        session.add(
            AccessRequest(
                bulletin_id=bulletin_id,
                requester_org_id=reader.org_id,
                requester_id=reader.user_id,
                state=state.value,
            )
        )


def test_the_originating_officer_gets_choices_versions_and_pending_requests(app, desk, people):
    people.org("EU-COM", kind="observer")
    bulletin_id = desk.post(title="Panel title", marking="TLP:RED")
    with app.app_context():
        ask(desk, "uk.analyst", bulletin_id)
        ask(desk, "uk.officer", bulletin_id, AccessRequestState.DECLINED)  # settled: not counted
        with unchanged():
            found = panel(desk, "it.officer", bulletin_id)
            assert found is not None
            assert (found.bulletin_id, found.title, found.marking, found.state) == (
                bulletin_id,
                None,  # the read page has the title already
                "TLP:RED",
                "active",
            )
            # Ministries and observers that do not hold it, never a platform partner.
            assert found.choices == (
                ReleaseChoice("EU-COM", "EU-COM ministry"),
                ReleaseChoice("UK-HO", "UK-HO ministry"),
            )
            assert found.versions == (1,) and found.pending_requests == 1
            assert found.red and found.releasable and found.retractable
            titled = panel(desk, "it.officer", bulletin_id, with_title=True)
            assert titled is not None and titled.title == "Panel title"


def test_nobody_else_gets_a_panel(app, desk):
    bulletin_id = desk.post()
    with app.app_context(), unchanged():
        for who in ("it.analyst", "fr.officer", "fr.analyst", "de.officer", "platform"):
            assert panel(desk, who, bulletin_id) is None, who


def test_versions_and_actions_follow_amendments_retraction_and_release(app, desk):
    first = desk.post()
    second = amend(desk, first)
    with app.app_context():
        current = panel(desk, "it.officer", second)
        old = panel(desk, "it.officer", first)
        assert current is not None and old is not None
        assert current.versions == old.versions == (1, 2)
        assert current.releasable and not old.releasable  # only the current version goes out
        assert old.retractable and not old.red
        officer = desk.reader("it.officer")
        lifecycle.release_to(officer, actor_of(officer), second, "UK-HO")
        released = panel(desk, "it.officer", second)
        assert released is not None and released.choices == ()
    retract(desk, second)
    with app.app_context():
        ended = panel(desk, "it.officer", second, with_title=True)
        assert ended is not None
        assert ended.versions == () and ended.title is None
        assert not ended.releasable and not ended.retractable


def test_the_release_and_retract_pages_refuse_everyone_else(app, desk):
    bulletin_id = desk.post(title="Panel title")
    with app.app_context(), unchanged():
        assert panel_for(desk.reader("it.officer"), bulletin_id).title == "Panel title"
        for who, bulletin in [
            ("fr.officer", bulletin_id),  # a recipient's officer: not theirs to release
            ("uk.officer", bulletin_id),
            ("platform", bulletin_id),
            ("it.officer", "0" * 32),
            ("it.officer", "x"),
        ]:
            with pytest.raises(NotFound):
                panel_for(desk.reader(who), bulletin)
        with pytest.raises(Forbidden, match="Only liaison officers of IT-MININT"):
            panel_for(desk.reader("it.analyst"), bulletin_id)
