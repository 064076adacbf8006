"""``seed-demo --bulletins N``: synthetic bulletins among the G7 ministries, really sealed."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import defaultdict

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import create_app, schema
from portal.database import make_engine
from portal.demo import seeding as demo
from portal.demo.plan import SEED
from portal.demo.world import G7, build_world
from portal.extensions import db
from portal.models import (
    Acknowledgement,
    AuditRecord,
    Bulletin,
    BulletinRecipient,
    BulletinState,
    BulletinToken,
    Organisation,
    ReadReceipt,
    RecipientVia,
    Role,
    User,
)
from portal.services import audit
from portal.services.accounts import directory as accounts
from portal.services.accounts import passwords
from portal.services.bulletins import inbox, reading
from portal.services.bulletins.content import BulletinContent, EntityType
from portal.services.bulletins.entities import identifier_keys
from portal.services.bulletins.inbox import InboxQuery
from portal.services.organisations import keys as org_keys
from portal.services.principals import Actor, Reader
from tests.conftest import test_config
from tests.databases import empty_database

COUNT = 30
# Ranges reserved for fiction, in E.164: Ofcom drama numbers, ARCEP fiction numbers, NANP 555-01xx.
FICTIONAL_PHONE = re.compile(r"^\+(447700900\d{3}|3363998\d{4}|1\d{3}55501\d{2})$")


def seeded(runner, count: int = COUNT) -> str:
    result = runner.invoke(
        args=["seed-demo", "--bulletins", str(count), "--referrals", "0", "--hashes", "0"]
    )
    assert result.exit_code == 0, result.output
    return result.output


def opened(app: Flask) -> dict[str, tuple[str, BulletinContent]]:
    """Every demo bulletin decrypted by its sender: id -> (sender code, content)."""
    with app.app_context():
        session = db.session()
        contents = {}
        for bulletin in session.scalars(select(Bulletin)):
            sender = bulletin.sender.code
            opened = reading.open_bulletin(session, sender, bulletin)
            assert isinstance(opened, reading.OpenedBulletin), (bulletin.id, opened)
            contents[bulletin.id] = (sender, opened.content)
        return contents


def demo_reader(code: str, role: Role = Role.ANALYST) -> Reader:
    return Reader.of(accounts.user_by_email(demo.demo_email(role, code)))


def scripts(text: str) -> set[str]:
    found = set()
    for ch in text:
        name = unicodedata.name(ch, "")
        for script in ("LATIN", "ARABIC", "CYRILLIC", "CJK", "HIRAGANA", "KATAKANA"):
            if name.startswith(script):
                found.add(script)
    return found


def test_seed_demo_posts_bulletins_every_recipient_opens_and_verifies(app, demo_bulletins_world):
    demo_bulletins_world.load(app)
    output = demo_bulletins_world.value
    assert f"{COUNT} sealed and posted" in output and "bulletins/s" in output
    with app.app_context():
        session = db.session()
        bulletins = list(session.scalars(select(Bulletin)))
        assert len(bulletins) == COUNT
        gradings: set[str | None] = set()
        tags: set[str] = set()
        senders = {b.sender_org_id for b in bulletins}
        codes = set(session.scalars(select(Organisation.code).where(Organisation.id.in_(senders))))
        assert codes <= set(G7) and len(codes) >= 3
        for bulletin in bulletins:
            author = session.get_one(User, bulletin.author_id)
            assert author.demo and Role.LIAISON in author.roles
            recipients = list(
                session.scalars(
                    select(Organisation.code)
                    .join(BulletinRecipient, BulletinRecipient.org_id == Organisation.id)
                    .where(
                        BulletinRecipient.bulletin_id == bulletin.id,
                        BulletinRecipient.via == RecipientVia.SEALED.value,
                    )
                )
            )
            assert 1 <= len(recipients) <= 6 and set(recipients) <= set(G7)
            reader = demo_reader(recipients[0])
            result = reading.read_bulletin(reader, Actor(reader.user_id), bulletin.id)
            assert result.problem is None and result.content is not None, bulletin.id
            assert result.seal.sender_org == author.organisation.code
            assert result.content.title and result.content.entities
            content = result.content
            gradings.add(content.grading.handling.value if content.grading else None)
            tags.update(content.tags)
            # The grade the story's body gives is the sealed one.
            grade = content.grading.source.value + content.grading.information.value
            assert f"(graded {grade})." in content.body, (bulletin.id, grade)
            # Seeded tags have their tokens: the recipient's inbox finds the bulletin by tag.
            query = InboxQuery(tag=content.tags[0], versions=True)
            assert bulletin.id in inbox.matching_ids(reader, query, COUNT)
        assert None not in gradings and len(gradings) >= 3
        assert any(t.startswith("modus-operandi:") for t in tags)
        assert any(t.startswith("platform:") for t in tags)
        amended = [b for b in bulletins if b.version == 2]
        assert amended
        for version in amended:
            previous = session.get_one(Bulletin, version.supersedes_id)
            assert previous.state == BulletinState.SUPERSEDED.value
            assert previous.series_id == version.series_id
        assert session.scalar(select(func.count()).select_from(Acknowledgement))
        assert session.scalar(select(func.count()).select_from(ReadReceipt))
        assert audit.verify_chain().problem is None


def test_identifiers_recur_across_ministries_and_names_span_scripts(app, demo_bulletins_world):
    demo_bulletins_world.load(app)
    contents = opened(app)
    account_senders: dict[str, set[str]] = defaultdict(set)
    person_scripts: set[str] = set()
    for sender, content in contents.values():
        for entity in content.entities:
            if entity.type is EntityType.ACCOUNT:
                for key in identifier_keys(entity):
                    account_senders[key].add(sender)
            if entity.type is EntityType.PERSON:
                for name in (entity.value, *entity.aliases, *entity.transliterations):
                    person_scripts |= scripts(name)
    shared = [key for key, senders in account_senders.items() if len(senders) >= 2]
    assert shared, "no account is named by two ministries"
    assert len(person_scripts & {"LATIN", "ARABIC", "CYRILLIC", "CJK"}) >= 3, person_scripts
    with app.app_context():
        index = org_keys.blind_index()
        session = db.session()
        for key in shared:
            senders = set(
                session.scalars(
                    select(Organisation.code)
                    .join(Bulletin, Bulletin.sender_org_id == Organisation.id)
                    .join(BulletinToken, BulletinToken.bulletin_id == Bulletin.id)
                    .where(BulletinToken.token == index.token(key))
                )
            )
            assert senders == account_senders[key], key


def test_demo_identifiers_are_fictional():
    world = build_world(random.Random(SEED))
    members = {m.key: m for network in world.networks for m in network.members}
    assert len(members) >= 40
    for member in members.values():
        for phone in member.phones:
            assert FICTIONAL_PHONE.match(phone.replace(" ", "")), phone
        for email in member.emails:
            assert email.endswith(".example"), email
    for network in world.networks:
        assert all(host_of(site).endswith(".example") for site in network.sites)
    codes = {code for network in world.networks for code in network.profile.reporters}
    assert codes == set(G7)


def host_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[0]


def test_same_seed_gives_same_titles_in_fresh_databases(
    app, demo_bulletins_world, demo_people_world, new_database, database_url, master_key, tmp_path
):
    demo_bulletins_world.load(app)
    first = sorted(content.title for _, content in opened(app).values())
    backend = make_url(database_url).get_backend_name()
    url = new_database("sqlite" if backend == "sqlite" else "postgresql")
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    other = create_app(test_config(url, master_key, tmp_path / "other"))
    try:
        # The same people (their keys do not choose titles); the bulletins seeded anew.
        empty_database(other.extensions["ischia.engine"])
        demo_people_world.load(other)
        seeded(other.test_cli_runner())
        second = sorted(content.title for _, content in opened(other).values())
    finally:
        other.extensions["ischia.engine"].dispose()
    assert first == second and len(set(first)) > COUNT // 2


def test_second_run_adds_nothing(app, runner, demo_bulletins_world):
    demo_bulletins_world.load(app)
    tables = (Bulletin, BulletinToken, ReadReceipt, Acknowledgement, AuditRecord, User)

    def counts() -> tuple[int, ...]:
        with app.app_context():
            session = db.session()
            return tuple(
                session.scalar(select(func.count()).select_from(table)) for table in tables
            )

    before = counts()
    again = seeded(runner)
    assert "0 organisations and 0 users" in again and "none added" in again
    assert counts() == before


def test_demo_users_share_one_hash_of_the_demo_password(app, demo_people_world):
    demo_people_world.load(app)
    with app.app_context():
        hashes = set(db.session().scalars(select(User.password_hash).where(User.demo)))
        assert len(hashes) == 1
        assert passwords.verify_password(hashes.pop(), demo.DEMO_PASSWORD)
        assert not db.session().scalar(select(func.count()).select_from(Bulletin))


def test_bulletins_option_refuses_a_negative_count(app, runner):
    result = runner.invoke(args=["seed-demo", "--bulletins", "-1"])
    assert result.exit_code == 2 and "--bulletins" in result.output
    with app.app_context():
        assert not db.session().scalar(select(func.count()).select_from(User))
