"""A demo bulletin being written by one ministry: its entities, relations and Markdown body.

Names are spelled the way the sending ministry spells them, with the native script and other
spellings as transliterations; accounts are written as handles or profile URLs, which all
normalise to the same identifier. What each kind of bulletin says is in :mod:`.demo_documents`.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from graph.labels import platform_name
from portal.demo.world import LANGUAGE, TRANSIT, Account, Member, Network

PLATFORM_LABEL = {
    p: platform_name(p)
    for p in ("telegram", "x", "tiktok", "facebook", "instagram", "youtube", "vk", "whatsapp")
}
UNTESTED_SOURCE = "a human source of untested reliability"
SOURCES = (
    "open-source monitoring",
    "a platform referral",
    "a liaison partner",
    UNTESTED_SOURCE,
    "devices seized during a search",
    "a judicially authorised interception",
    "financial intelligence",
)
ACTIONS = (
    "Please check the identifiers against national holdings and report any hit to the sender.",
    "Please acknowledge receipt and share any related reporting.",
    "Recipients are asked not to act on this information without consulting the sender.",
    "Please consider referral of the accounts to the platforms concerned.",
)


class Story:
    """A bulletin being written: entities get refs in order, each identifier named once."""

    def __init__(self, rng: random.Random, sender: str, on: date) -> None:
        self.rng = rng
        self.sender = sender
        self.language = LANGUAGE[sender]
        if sender == "CA-PS" and rng.random() < 1 / 3:
            self.language = "fr"
        self.on = on
        self.entities: list[dict[str, Any]] = []
        self.source, self.grade = "", ""  # set by body()
        self.relations: list[dict[str, Any]] = []
        self.refs: dict[str, str] = {}

    def _add(
        self,
        key: str,
        prefix: str,
        entity: dict[str, Any],
    ) -> str:
        """The entity's ref; a new entity once only (the read page lists entities: the body
        does not repeat them)."""
        if key not in self.refs:
            count = sum(1 for ref in self.refs.values() if ref.rstrip("0123456789") == prefix)
            self.refs[key] = ref = f"{prefix}{count + 1}"
            self.entities.append({"ref": ref, **entity})
        return self.refs[key]

    def days_before(self, low: int, high: int) -> date:
        return self.on - timedelta(days=self.rng.randint(low, high))

    def name_of(self, member: Member) -> str:
        native = member.name.script == "japanese" and self.sender == "JP-NPA"
        return member.name.native if native else member.name.written_in(self.language)

    def person(self, member: Member) -> str:
        rng, name = self.rng, member.name
        value = name.native if rng.random() < 0.15 else self.name_of(member)
        others = [v for v in name.variants if v != value]
        spellings = [name.native] if value != name.native else []
        spellings += rng.sample(others, min(len(others), rng.randint(1, 2)))
        entity: dict[str, Any] = {
            "type": "person",
            "value": value,
            "transliterations": list(dict.fromkeys(spellings)),
            "role": member.role,
            "nationality": member.nationality,
        }
        if name.kunya is not None and rng.random() < 0.7:
            entity["aliases"] = [name.kunya.written_in(self.language), name.kunya.native]
        if rng.random() < 0.6:
            entity["date_of_birth"] = member.born.isoformat()
        return self._add(member.key, "p", entity)

    def account(self, account: Account, owner: str | None = None) -> str:
        written = account.written(self.rng)
        ref = self._add(
            f"{account.platform}:{account.handle}",
            "a",
            {"type": "account", "platform": account.platform, "value": written},
        )
        if owner is not None:
            self.relate(owner, "uses_account", ref)
        return ref

    def phone(self, number: str, owner: str) -> str:
        written = number if self.rng.random() < 0.6 else number.replace(" ", "")
        entity = {"type": "phone", "value": written}
        ref = self._add(f"phone:{number}", "t", entity)
        self.relate(owner, "uses_phone", ref)
        return ref

    def email(self, address: str, owner: str) -> str:
        entity = {"type": "email", "value": address}
        ref = self._add(f"email:{address}", "m", entity)
        self.relate(owner, "uses_email", ref)
        return ref

    def url(self, address: str) -> str:
        entity = {"type": "url", "value": address}
        return self._add(f"url:{address}", "u", entity)

    def group(self, network: Network) -> str:
        alias = network.alias
        aliases = [alias.written_in(self.language), alias.native]
        return self._add(
            f"group:{network.code}",
            "g",
            {"type": "group", "value": network.label, "aliases": aliases},
        )

    def place(self, city: str, country: str) -> str:
        entity = {"type": "location", "value": city, "country": country}
        return self._add(f"place:{city}", "l", entity)

    def member_with_identifiers(self, member: Member, accounts: int = 2) -> str:
        ref = self.person(member)
        for account in self.rng.sample(member.accounts, min(accounts, len(member.accounts))):
            self.account(account, ref)
        if member.phones and self.rng.random() < 0.6:
            self.phone(self.rng.choice(member.phones), ref)
        if member.emails and self.rng.random() < 0.4:
            self.email(member.emails[0], ref)
        return ref

    def journey(self, member: Member, person: str) -> tuple[str, str, str]:
        """A travel event from the member's home through the transit cities to the front."""
        if member.destination is None:
            raise ValueError(f"{member.key} is not a traveller")
        origin = member.home[0]
        destination, country = member.destination
        on = self.days_before(5, 200)
        travel = {
            "type": "travel",
            "traveller": person,
            "origin": origin,
            "via": list(member.route),
            "destination": destination,
            "on": on.isoformat(),
        }
        self._add(f"travel:{member.key}", "j", travel)
        for city in member.route:
            self.place(city, dict(TRANSIT)[city])
        target = self.place(destination, country)
        self.relate(person, "travelled_to", target, on)
        return origin, " → ".join(member.route), destination

    def relate(self, source: str, kind: str, target: str, on: date | None = None) -> None:
        relation = {"source": source, "type": kind, "target": target}
        if on is not None:
            relation["on"] = on.isoformat()
        if relation not in self.relations:
            self.relations.append(relation)

    def body(self, narrative: list[str], network: Network, assessment: list[str]) -> str:
        source = self.rng.choice(SOURCES)
        reliability, credibility = self.rng.choice("ABC"), self.rng.choice("123")
        if source == UNTESTED_SOURCE:
            reliability = "X"  # a source of untested reliability cannot be judged A to C
        grade = reliability + credibility
        self.source, self.grade = source, grade
        lines = [f"**Source:** {source} (graded {grade}).", ""]
        for paragraph in narrative:
            lines += [paragraph, ""]
        lines += [f"The {network.label} {network.profile.does}.", ""]
        lines += ["### Assessment", "", *(f"- {point}" for point in assessment), ""]
        lines += ["### Requested action", "", self.rng.choice(ACTIONS)]
        return "\n".join(lines)

    def document(self, title: str, summary: str, body: str) -> dict[str, Any]:
        return {
            "title": title,
            "summary": summary,
            "body": body,
            "entities": self.entities,
            "relations": self.relations,
        }
