"""Referring content, called directly: what is stored, signed and audited; every refusal with
the field it names and nothing written; who may issue a removal order; the deadlines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Organisation,
    Referral,
    ReferralItem,
    ReferralLedgerEntry,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.principals import CLI
from portal.services.referrals import authorities, intake
from portal.services.referrals.intake import ReferralDraft
from portal.services.referrals.vocabulary import ORDER_RULE
from tests.portal.referrals.conftest import NOW, item
from tests.portal.service_checks import actor_of, records, unchanged

SHA = "A" * 64
MD5 = "0123456789abcdef0123456789ABCDEF"


def test_a_referral_is_stored_signed_and_on_record(app, world):
    with app.app_context():
        referred = world.refer(
            "de",
            [
                item("HTTP://WWW.Video.Example/watch?v=abc123&utm_source=x", hashes=[SHA, MD5]),
                item("image.example/p/1", content_type="image", category="propaganda"),
            ],
        )
        referral = db.session.get_one(Referral, referred.referral.id)
        assert referral.kind == "referral" and referral.legal_basis is None
        assert referral.received_at == NOW
        rows = db.session.scalars(select(ReferralItem).order_by(ReferralItem.position)).all()
        assert [r.url_key for r in rows] == [
            "url:https://video.example/watch?v=abc123",
            "url:https://image.example/p/1",
        ]
        assert rows[0].hashes == ["sha256:" + "a" * 64, "md5:" + MD5.lower()]
        assert {r.deadline_at for r in rows} == {NOW + timedelta(hours=24)}
        assert {r.state for r in rows} == {"received"}
        ledger = db.session.scalars(select(ReferralLedgerEntry)).all()
        assert [(e.item_id, e.event, e.at) for e in ledger] == [
            (rows[0].id, "received", NOW),
            (rows[1].id, "received", NOW),
        ]
        audited = records("referral.received")
        assert len(audited) == 2
        platform = db.session.scalar(select(Organisation).where(Organisation.code == "PLATFORM-X"))
        assert platform is not None
        assert {r.subject_org_id for r in audited} == {platform.id}
        assert audited[0].actor_user_id == world.users["de"]
        assert audited[0].details["item"] == rows[0].id
        assert audited[0].details["referral"] == referral.id

        check = intake.verify(world.reader("x"), referral.id)  # the platform checks it
        assert check.valid and check.org == "DE-BMI" and check.key_version == 1
        assert intake.verify(world.reader("de"), referral.id).valid


def test_a_referral_altered_after_signing_no_longer_verifies(app, world):
    with app.app_context():
        referral_id = world.refer("de").referral.id
        with db.write() as session:
            row = session.scalars(select(ReferralItem)).one()
            row.reason = "Something else entirely."
        check = intake.verify(world.reader("x"), referral_id)
        assert not check.valid
        assert check.problem == "The stored referral differs from what was signed."


def test_only_the_parties_verify_a_referral(app, world):
    with app.app_context():
        referral_id = world.refer("de").referral.id
        for who, some_id in [
            ("fr", referral_id),
            ("y", referral_id),
            ("de", "0" * 32),
            ("de", "x"),
        ]:
            with pytest.raises(NotFound):
                intake.verify(world.reader(who), some_id)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([item(), item("not a url")], "items[1].url"),
        ([item(), item("ftp://files.example/a")], "items[1].url"),
        ([item("https://localhost/a")], "items[0].url"),
        ([item("")], "items[0].url"),
        ([item("https://a.example/" + "x" * 2000)], "items[0].url"),
        ([item(content_type="podcast")], "items[0].content_type"),
        ([item(category="spam")], "items[0].category"),
        ([item(reason="  ")], "items[0].reason"),
        ([item(reason="x" * 501)], "items[0].reason"),
        ([item(language="Arabic")], "items[0].language"),
        ([item(hashes=["abc123"])], "items[0].hashes"),
        ([item(hashes=["g" * 64])], "items[0].hashes"),
        ([item(), item(hashes=[SHA, "sha1:" + "a" * 40])], "items[1].hashes"),
        ([item("https://a.example/x"), item("http://www.a.example/x/")], "items[1].url"),
        ([], "items"),
        ([item()] * 101, "items"),
    ],
)
def test_bad_items_are_refused_naming_the_field_and_nothing_is_written(app, world, items, field):
    with app.app_context(), unchanged(), pytest.raises(InvalidInput) as refused:
        world.refer("de", items)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("platform", "kind", "field"),
    [
        ("FR-MININT", "referral", "platform"),
        ("NOPE", "referral", "platform"),
        ("PLATFORM-X", "ask", "kind"),
    ],
)
def test_a_bad_platform_or_kind_is_refused(app, world, platform, kind, field):
    with app.app_context(), unchanged(), pytest.raises(InvalidInput) as refused:
        world.refer("de", platform=platform, kind=kind)
    assert refused.value.field == field


def test_only_liaison_officers_of_ministries_and_observers_refer(app, world):
    with app.app_context():
        for who in ("de.analyst", "x"):
            with unchanged(), pytest.raises(Forbidden):
                world.refer(who)
        assert world.refer("eu").items[0].referrer_org_id == world.reader("eu").org_id


@pytest.mark.parametrize("who", ["it", "uk", "eu"])
def test_only_a_competent_authority_issues_a_removal_order(app, world, who):
    with app.app_context(), unchanged(), pytest.raises(Forbidden) as refused:
        world.order(who)
    assert refused.value.message == ORDER_RULE
    assert refused.value.field == "kind"


def test_a_removal_order_names_its_legal_basis(app, world):
    with app.app_context(), unchanged(), pytest.raises(InvalidInput) as refused:
        world.order("de", legal_basis="   ")
    assert refused.value.field == "legal_basis"


def test_a_removal_order_is_due_one_hour_after_receipt(app, world):
    with app.app_context():
        referred = world.order("fr", [item(), item("https://b.example/2")])
        assert referred.referral.legal_basis.startswith("Regulation (EU) 2021/784")
        assert {i.deadline_at for i in referred.items} == {NOW + timedelta(hours=1)}
        assert {i.kind for i in referred.items} == {"removal_order"}


def test_the_referral_deadline_is_a_setting(app, world):
    app.config["REFERRAL_DEADLINE"] = timedelta(hours=4)
    with app.app_context():
        referred = world.refer("it")
        assert referred.items[0].deadline_at == NOW + timedelta(hours=4)
        # The order's hour is the law's, whatever the setting.
        assert world.order("de", [item("https://c.example/")]).items[0].deadline_at == (
            NOW + timedelta(hours=1)
        )


def test_an_operator_names_competent_authorities_on_record(app, world):
    with app.app_context():
        it = world.reader("it")
        with unchanged(), pytest.raises(Forbidden):
            authorities.set_competent_authority(actor_of(it), "IT-MININT", True)
        for code in ("UK-HO", "PLATFORM-X", "EU-HOME"):  # not an authority of an EU state
            with unchanged(), pytest.raises(InvalidInput):
                authorities.set_competent_authority(CLI, code, True)
        with unchanged(), pytest.raises(NotFound):
            authorities.set_competent_authority(CLI, "XX-NONE", True)

        root = world.reader("sysadmin")
        authorities.set_competent_authority(actor_of(root), "it-minint ", True)
        record = records("org.competent_authority_set")[-1]
        assert record.details == {"org": "IT-MININT", "competent_authority": True}
        assert record.actor_user_id == root.user_id
        with unchanged():  # setting it again changes nothing
            authorities.set_competent_authority(CLI, "IT-MININT", True)
        assert world.order("it").items[0].kind == "removal_order"

        authorities.set_competent_authority(CLI, "DE-BMI", False)
        with unchanged(), pytest.raises(Forbidden):
            world.order("de")


def test_a_referral_draft_is_plain_values(app, world):
    with app.app_context():
        reader = world.reader("uk")
        draft = ReferralDraft(platform=" platform-x", kind="REFERRAL", items=[item()])
        referred = intake.refer(reader, actor_of(reader), draft, now=NOW)
        assert referred.referral.kind == "referral"
        assert referred.items[0].platform_org_id == world.reader("x").org_id
