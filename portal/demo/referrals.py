"""Demo referrals: what ninety days of referral work between the ministries and the platforms
looks like, made through the referral services so every row is signed, cased and on the ledger.

The content is the demo world's own (the accounts and channels the demo bulletins name), on the
services of the four demo platforms: X (X-CORP), YouTube (GOOGLE), Instagram, Facebook and
WhatsApp (META), and file links for manuals (MICROSOFT). About one referral in seven names
content another ministry referred too, so the platforms see shared cases. DE-BMI, FR-MININT and
IT-MININT are the demo's competent authorities under Regulation (EU) 2021/784 and send some
removal orders; the platforms answer most orders within the hour and some late. Some items
are still open (a few overdue), some had a question back to the referrer, some decisions were
complained about and a few reinstated, a few items were withdrawn.

The same seed and the same ``now`` give the same referrals (ids apart).
"""

from __future__ import annotations

import random
import string
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from portal.demo.plan import SEED
from portal.demo.seeding import demo_reader
from portal.demo.world import G7, Account, Network, build_world
from portal.extensions import db
from portal.models import Referral, ReferralItem, Role, utcnow
from portal.services.organisations import keys as org_keys
from portal.services.principals import CLI, Actor, Reader
from portal.services.referrals import authorities, bulk, intake, queue, referrer
from portal.services.referrals.bulk import BulkUpload
from portal.services.referrals.intake import ItemDraft, ReferralDraft
from portal.services.referrals.queue import Decision

PERIOD = timedelta(days=90)
COMPETENT_AUTHORITIES = ("DE-BMI", "FR-MININT", "IT-MININT")
REFERRERS = {**dict.fromkeys(G7, 10), "EU-HOME": 6, "INTERPOL": 4}
PLATFORM_OF = {
    "x": "X-CORP",
    "youtube": "GOOGLE",
    "instagram": "META",
    "facebook": "META",
    "whatsapp": "META",
}
SHARED_SHARE = 0.15  # items that name content another ministry referred too
ORDER_SHARE = 0.3  # of a competent authority's referrals
LEGAL_BASIS = {
    "DE-BMI": "Regulation (EU) 2021/784, Art. 3(1); removal order of the Bundeskriminalamt",
    "FR-MININT": "Regulation (EU) 2021/784, Art. 3(1); injonction de retrait de l'OCLCTIC",
    "IT-MININT": "Regulation (EU) 2021/784, Art. 3(1); ordine di rimozione della Polizia Postale",
}
REASONS = {
    "recruitment": "Calls on viewers to travel and join the group; gives a contact.",
    "incitement": "Calls for attacks on named targets in Europe.",
    "attack_instructions": "Step-by-step instructions for a vehicle attack.",
    "weapons_manual": "Manual for making an improvised explosive device.",
    "propaganda": "Glorifies a recent attack and its perpetrator.",
    "financing": "Asks for donations to the group in cryptocurrency.",
}
# Platform decisions on referrals (orders take the subset open to them).
OUTCOMES = {
    "removed": 55,
    "account_suspended": 10,
    "access_disabled": 5,
    "restricted": 5,
    "no_violation": 12,
    "already_gone": 6,
    "not_our_service": 2,
}
ORDER_OUTCOMES = {
    "removed": 88,
    "access_disabled": 6,
    "already_gone": 5,
    "technical_impossibility": 1,
}


@dataclass(frozen=True)
class Content:
    platform: str  # organisation code
    url: str
    account: str | None
    content_type: str
    category: str
    language: str
    group: str


@dataclass
class ReferralSeedReport:
    referrals: int = 0
    items: int = 0
    orders: int = 0
    decided: int = 0
    open: int = 0
    shared_cases: int = 0
    action_days: int = 0
    seconds: float = 0.0
    skipped: bool = False


def _token(rng: random.Random, length: int, alphabet: str = string.ascii_letters + "_-") -> str:
    return "".join(rng.choice(alphabet + string.digits) for _ in range(length))


def _on(rng: random.Random, account: Account, group: str, language: str) -> Content | None:
    """A piece of content posted by ``account``, on a demo platform's service (or None)."""
    platform = PLATFORM_OF.get(account.platform)
    if platform is None:
        return None
    h = account.handle
    category = rng.choice(("recruitment", "propaganda", "incitement", "financing", "recruitment"))
    if account.platform == "x":
        url, kind, where = (
            f"https://x.com/{h}/status/{rng.randrange(10**18, 10**19)}",
            "text",
            f"@{h}",
        )
    elif account.platform == "youtube":
        url, kind, where = f"https://www.youtube.com/watch?v={_token(rng, 11)}", "video", f"@{h}"
    elif account.platform == "instagram":
        url, kind, where = f"https://www.instagram.com/p/{_token(rng, 11)}/", "image", h
    elif account.platform == "facebook":
        url, kind = f"https://www.facebook.com/{h}/videos/{rng.randrange(10**15, 10**16)}", "video"
        where = f"https://www.facebook.com/{h}"
    else:  # a WhatsApp channel run by the number's owner
        url, kind, where = f"https://whatsapp.com/channel/{_token(rng, 24)}", "account", h
    return Content(platform, url, where, kind, category, language, group)


def _manual(rng: random.Random, group: str, language: str) -> Content:
    """A manual shared as a file link (the MICROSOFT platform's file service)."""
    cid, resid = _token(rng, 16, "abcdef"), _token(rng, 16, "ABCDEF")
    return Content(
        "MICROSOFT",
        f"https://onedrive.live.com/?cid={cid}&resid={resid}!{rng.randrange(100, 999)}",
        None,
        "file",
        rng.choice(("weapons_manual", "attack_instructions")),
        language,
        group,
    )


def _pool(rng: random.Random) -> list[Content]:
    """Every piece of content the demo world has on the demo platforms, several per account."""
    world = build_world(random.Random(SEED))  # noqa: S311  (the bulletins' world)
    pool: list[Content] = []
    for network in world.networks:
        pool.extend(_network_content(rng, network))
    rng.shuffle(pool)
    return pool


def _network_content(rng: random.Random, network: Network) -> list[Content]:
    group = network.alias.written_in("en")
    language = rng.choice(("ar", "ar", "en", "fr", "de", "ru"))
    found: list[Content] = []
    for account in [*network.channels, *(a for m in network.members for a in m.accounts)]:
        for _ in range(rng.randint(5, 12)):
            content = _on(rng, account, group, language)
            if content is not None:
                found.append(content)
    found.extend(_manual(rng, group, language) for _ in range(30))
    return found


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Desk:
    """The demo users who refer and decide, as the services' readers."""

    def __init__(self) -> None:
        self.readers: dict[str, Reader] = {}
        for code in [*REFERRERS, *set(PLATFORM_OF.values()), "MICROSOFT"]:
            role = Role.PLATFORM_LIAISON if code in PLATFORMS else Role.LIAISON
            self.readers[code] = demo_reader(role, code)

    def of(self, code: str) -> tuple[Reader, Actor]:
        reader = self.readers[code]
        return reader, Actor(reader.user_id, reader.email, reader.org_id)


PLATFORMS = frozenset({*PLATFORM_OF.values(), "MICROSOFT"})


def demo_referrals_exist() -> bool:
    return db.session().scalar(select(Referral.id).limit(1)) is not None


def seed_referrals(
    count: int, *, seed: int = SEED, now: datetime | None = None
) -> ReferralSeedReport:
    """About ``count`` demo referrals over the last ninety days (see the module doc)."""
    started = time.perf_counter()
    now = now or utcnow()
    if count <= 0 or demo_referrals_exist():
        return ReferralSeedReport(skipped=count > 0)
    for code in COMPETENT_AUTHORITIES:
        authorities.set_competent_authority(CLI, code, True)
    with db.write() as session:
        for code in REFERRERS:
            org_keys.ensure_keys(session, code, now=now - PERIOD - timedelta(days=1))
    rng = random.Random(seed + 14)  # noqa: S311  (synthetic demo content, not a secret)
    desk = _Desk()
    pool = _pool(rng)
    referred: list[Content] = []
    report = ReferralSeedReport()
    fresh_orders = [
        (code, ago, next(c for c in pool if c.platform == platform))
        for code, platform, ago in (("DE-BMI", "META", 20), ("FR-MININT", "X-CORP", 95))
    ]
    for _, _, content in fresh_orders:
        pool.remove(content)
    times = sorted(now - PERIOD * (rng.random() ** 0.8) for _ in range(max(count - 2, 1)))
    for at in times:
        at = min(at, now - timedelta(minutes=5))
        code = _weighted(rng, REFERRERS)
        items = _pick(rng, pool, referred)
        platform = items[0].platform
        items = [c for c in items if c.platform == platform]
        order = code in COMPETENT_AUTHORITIES and rng.random() < ORDER_SHARE
        reader, actor = desk.of(code)
        draft = ReferralDraft(
            platform=platform,
            kind="removal_order" if order else "referral",
            legal_basis=LEGAL_BASIS[code] if order else None,
            items=[_draft(c) for c in items],
        )
        made = intake.refer(reader, actor, draft, now=at)
        report.referrals += 1
        report.orders += order
        for row in made.items:
            report.items += 1
            decided = _answer(rng, desk, code, platform, row.id, order, at, now)
            report.decided += decided
            report.open += not decided
    # Two removal orders that arrived just now, unanswered: one with its hour still running,
    # one already overdue, so the platforms' clocks show both.
    for code, ago, content in fresh_orders:
        reader, actor = desk.of(code)
        draft = ReferralDraft(
            platform=content.platform,
            kind="removal_order",
            legal_basis=LEGAL_BASIS[code],
            items=[_draft(content)],
        )
        intake.refer(reader, actor, draft, now=now - timedelta(minutes=ago))
        report.referrals += 1
        report.orders += 1
        report.items += 1
        report.open += 1
    report.action_days = _action_days(rng, desk, pool, now)
    report.shared_cases = _shared_cases()
    report.seconds = time.perf_counter() - started
    return report


def _pick(rng: random.Random, pool: list[Content], referred: list[Content]) -> list[Content]:
    if referred and rng.random() < SHARED_SHARE:
        return [rng.choice(referred)]
    first = pool.pop() if pool else rng.choice(referred)
    picked = [first]
    # Some referrals carry several items of one platform (a channel's videos, say).
    for _ in range(rng.choice((0, 0, 0, 1, 2, 4))):
        same = next((c for c in pool if c.platform == first.platform), None)
        if same is None:
            break
        pool.remove(same)
        picked.append(same)
    referred.extend(picked)
    return picked


def _draft(content: Content) -> ItemDraft:
    return ItemDraft(
        url=content.url,
        account=content.account,
        content_type=content.content_type,
        category=content.category,
        language=content.language,
        attributed_group=content.group,
        reason=REASONS[content.category],
    )


def _answer(
    rng: random.Random,
    desk: _Desk,
    referrer_code: str,
    platform: str,
    item_id: str,
    order: bool,
    at: datetime,
    now: datetime,
) -> bool:
    """What the platform did with one item, as it happened after ``at``; whether it decided."""
    reader, actor = desk.of(platform)
    ref_reader, ref_actor = desk.of(referrer_code)
    if order:
        took = (
            timedelta(minutes=rng.randint(4, 55))
            if rng.random() < 0.88
            else (timedelta(minutes=rng.randint(65, 240)))
        )
    else:
        took = timedelta(hours=rng.lognormvariate(2.2, 0.9))
    if rng.random() < 0.02 and at + took / 2 < now:
        referrer.withdraw(
            ref_reader,
            ref_actor,
            item_id,
            "Content is evidence in an open case.",
            now=at + took / 2,
        )
        return False
    opened = at + took / 3
    recent = now - at < timedelta(hours=36)
    if opened >= now or (recent and rng.random() < 0.5):
        return False  # not looked at yet
    queue.open_item(reader, actor, item_id, now=opened)
    queue.claim(reader, actor, item_id, now=opened + timedelta(seconds=40))
    done = at + took
    if recent and not order and rng.random() < 0.15 and done < now:
        queue.decide(
            reader,
            actor,
            item_id,
            Decision("more_information", question="Is the account the group's or a journalist's?"),
            now=done,
        )
        return False  # the question waits for the referrer's answer
    if not order and rng.random() < 0.05 and done + timedelta(hours=6) < now:
        queue.decide(
            reader,
            actor,
            item_id,
            Decision("more_information", question="Which part of the video breaks which rule?"),
            now=done,
        )
        answered = done + timedelta(hours=rng.uniform(1, 5))
        referrer.answer(
            ref_reader,
            ref_actor,
            item_id,
            "From 02:10: a call to attack, naming the place and the date.",
            now=answered,
        )
        done = answered + timedelta(hours=rng.uniform(0.5, 8))
    if done >= now or (rng.random() < 0.04 and not order):
        return False  # still open: some of these are overdue
    outcome = _weighted(rng, ORDER_OUTCOMES if order else OUTCOMES)
    decision = Decision(
        outcome,
        countries=("DE", "FR", "AT") if outcome == "access_disabled" else (),
        reason="The file sits on a storage node being migrated; access blocked at the edge."
        if outcome == "technical_impossibility"
        else None,
    )
    queue.decide(reader, actor, item_id, decision, now=done)
    if outcome == "removed" and rng.random() < 0.08:
        later = done + timedelta(days=rng.uniform(1, 6))
        if later - timedelta(hours=20) < now:
            queue.record_provider_complaint(
                reader,
                actor,
                item_id,
                "The uploader says the video is news reporting on the attack.",
                now=later - timedelta(hours=20),
            )
        if later < now and rng.random() < 0.5:
            queue.reinstate(
                reader,
                actor,
                item_id,
                "The uploader's appeal succeeded: news reporting, not propaganda.",
                now=later,
            )
            if later + timedelta(hours=3) < now:
                referrer.complain(
                    ref_reader,
                    ref_actor,
                    item_id,
                    "The video is the group's own release with its logo; please look again.",
                    now=later + timedelta(hours=3),
                )
    elif outcome == "no_violation" and rng.random() < 0.2 and done + timedelta(hours=2) < now:
        referrer.complain(
            ref_reader,
            ref_actor,
            item_id,
            "The account posts the group's claims of responsibility daily.",
            now=done + timedelta(hours=2),
        )
    return True


ACTION_DAYS = (
    # (referrer, platform, label, rows, days ago; None: uploaded now, waiting to run)
    ("EU-HOME", "X-CORP", "Action day: claims of responsibility on X", 240, 12),
    ("FR-MININT", "META", "Action day: recruitment channels on Meta's services", 900, None),
)


def _action_days(rng: random.Random, desk: _Desk, pool: list[Content], now: datetime) -> int:
    """Two referral action days as bulk CSV uploads: one stored twelve days ago with its report
    per row, and one uploaded just now and waiting to run (its page runs it in the demo, which
    has no job queue, showing the progress as it goes)."""
    header = "url,category,content_type,account,language,attributed_group,reason,hashes\r\n"
    for code, platform, label, rows, days in ACTION_DAYS:
        lines = [header]
        mine = [c for c in pool if c.platform == platform]
        for number in range(rows):
            content = mine.pop() if mine else _fresh(rng, platform)
            if content in pool:
                pool.remove(content)
            url = content.url
            if number % 97 == 5:
                url = "htp:/broken-" + str(number)  # a typo the report refuses, naming the column
            lines.append(
                f"{url},{content.category},{content.content_type},{content.account or ''},"
                f"{content.language},{content.group},{REASONS[content.category]},\r\n"
            )
        reader, actor = desk.of(code)
        at = now if days is None else now - timedelta(days=days)
        upload = BulkUpload(
            platform=platform,
            kind="referral",
            data="".join(lines).encode(),
            label=label,
            filename=f"{label.split(':')[0].lower().replace(' ', '-')}.csv",
        )
        submitted = bulk.submit(reader, actor, upload, now=at)
        if days is not None:
            bulk.run(submitted.job.id, now=at)
            _work_through(rng, desk, platform, submitted.job.org_id, at)
    return len(ACTION_DAYS)


def _work_through(
    rng: random.Random, desk: _Desk, platform: str, referrer_org_id: int, at: datetime
) -> None:
    """The platform decides an action day's items over the next two days."""
    reader, actor = desk.of(platform)
    items = db.session().scalars(
        select(ReferralItem.id)
        .where(ReferralItem.referrer_org_id == referrer_org_id, ReferralItem.received_at == at)
        .order_by(ReferralItem.id)
    )
    for item_id in list(items):
        outcome = _weighted(rng, OUTCOMES)
        decision = Decision(outcome, countries=("FR",) if outcome == "access_disabled" else ())
        queue.decide(reader, actor, item_id, decision, now=at + timedelta(hours=rng.uniform(2, 40)))


def _fresh(rng: random.Random, platform: str) -> Content:
    """A post nobody referred before, on ``platform``'s service, by an unattributed account."""
    if platform == "X-CORP":
        url = f"https://x.com/i/status/{rng.randrange(10**18, 10**19)}"
        kind = "text"
    else:
        url = f"https://www.facebook.com/watch/?v={rng.randrange(10**15, 10**16)}"
        kind = "video"
    return Content(platform, url, None, kind, "propaganda", "ar", "unattributed")


def _shared_cases() -> int:
    rows = db.session().execute(
        select(ReferralItem.case_id)
        .group_by(ReferralItem.case_id)
        .having(func.count(func.distinct(ReferralItem.referrer_org_id)) > 1)
    )
    return len(list(rows))
