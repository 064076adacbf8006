"""The synthetic world the demo bulletins report on: four recruitment networks, their members,
accounts, phones and routes. Built from one random generator, so a seed gives the same world.

Each network has recruiters, facilitators, travellers (foreign fighters) and financiers in
proportions that match what it does, a few channels and web sites, and the ministries that
report on it most. Members are of several origins, so their names come in several scripts.
A few members work for two networks: that is what links the networks in the analysts' graph.
"""

# ruff: noqa: RUF001 — Turkish place names are written as in Turkish.

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from portal.demo.names import (
    PersonName,
    Registry,
    arabic_person,
    cyrillic_person,
    group_alias,
    japanese_person,
    latin_person,
)

G7 = ("US-DHS", "JP-NPA", "DE-BMI", "FR-MININT", "CA-PS", "UK-HO", "IT-MININT")
# The language each ministry writes names in (Canada: English, or French one time in three).
LANGUAGE = {"US-DHS": "en", "JP-NPA": "en", "DE-BMI": "de", "FR-MININT": "fr", "CA-PS": "en",
            "UK-HO": "en", "IT-MININT": "it"}  # fmt: skip
COUNTRY = {"US-DHS": "US", "JP-NPA": "JP", "DE-BMI": "DE", "FR-MININT": "FR", "CA-PS": "CA",
           "UK-HO": "GB", "IT-MININT": "IT"}  # fmt: skip

CITIES = {
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Strasbourg", "Lille"),
    "BE": ("Brussels", "Antwerp", "Liège"),
    "DE": ("Berlin", "Hamburg", "Frankfurt am Main", "Bonn", "Wuppertal", "Dortmund"),
    "GB": ("London", "Birmingham", "Manchester", "Cardiff", "Luton"),
    "IT": ("Milan", "Turin", "Rome", "Bologna", "Genoa"),
    "CA": ("Toronto", "Montreal", "Calgary", "Ottawa"),
    "US": ("Minneapolis", "Columbus", "Houston", "Newark"),
    "JP": ("Tokyo", "Osaka"),
    "RU": ("Grozny", "Makhachkala"),
}
# Where journeys change planes, buses or smugglers; where they end.
TRANSIT = (("Istanbul", "TR"), ("Gaziantep", "TR"), ("Şanlıurfa", "TR"), ("Antakya", "TR"),
           ("Kilis", "TR"), ("Tbilisi", "GE"), ("Sofia", "BG"), ("Athens", "GR"),
           ("Tunis", "TN"), ("Algiers", "DZ"))  # fmt: skip
DESTINATIONS = (("Idlib", "SY"), ("Raqqa", "SY"), ("Deir ez-Zor", "SY"),
                ("al-Hasakah", "SY"), ("Mosul", "IQ"), ("Sirte", "LY"), ("Jalalabad", "AF"),
                ("Ménaka", "ML"))  # fmt: skip

# Roles (PersonRole values) and platforms (Platform values) by what a member does.
PLATFORMS = {
    "recruiter": ("telegram", "tiktok", "instagram", "x", "youtube"),
    "propagandist": ("telegram", "x", "youtube", "tiktok"),
    "facilitator": ("whatsapp", "telegram", "facebook"),
    "foreign_fighter": ("instagram", "tiktok", "facebook", "telegram"),
    "financier": ("telegram", "facebook", "x", "whatsapp"),
}
ACCOUNTS_PER_ROLE = {"recruiter": (2, 4), "propagandist": (2, 4), "facilitator": (1, 2),
                     "foreign_fighter": (1, 3), "financier": (1, 2)}  # fmt: skip


@dataclass(frozen=True)
class NetworkProfile:
    code: str
    does: str  # a phrase for bulletin bodies
    homes: tuple[str, ...]  # countries its members come from, repeated for weight
    roles: dict[str, int]  # role -> how many members
    categories: dict[str, int]  # Category value -> weight of bulletins about it
    reporters: dict[str, int]  # org code -> weight as sender
    routes: tuple[tuple[str, ...], ...]  # transit cities its travellers take


PROFILES = (
    NetworkProfile(
        "LANTERN",
        "recruits online, mostly teenagers, through short videos and closed channels",
        ("FR", "BE", "CA"),
        {"recruiter": 4, "propagandist": 3, "facilitator": 1, "foreign_fighter": 4, "financier": 1},
        {
            "recruitment": 6,
            "propaganda_promotion": 5,
            "incitement_to_violence": 3,
            "foreign_fighter_travel": 2,
            "other": 1,
        },
        {
            "FR-MININT": 5,
            "CA-PS": 3,
            "UK-HO": 2,
            "IT-MININT": 2,
            "DE-BMI": 1,
            "US-DHS": 1,
            "JP-NPA": 1,
        },
        (("Istanbul", "Gaziantep"), ("Istanbul",), ("Algiers",)),
    ),
    NetworkProfile(
        "CARAVAN",
        "moves people and money across borders: safe houses, documents, smugglers",
        ("DE", "IT", "RU"),
        {"facilitator": 5, "foreign_fighter": 5, "recruiter": 1, "financier": 2},
        {"foreign_fighter_travel": 7, "financing": 2, "recruitment": 1, "other": 2},
        {
            "DE-BMI": 4,
            "IT-MININT": 3,
            "FR-MININT": 2,
            "UK-HO": 2,
            "US-DHS": 1,
            "CA-PS": 1,
            "JP-NPA": 1,
        },
        (("Tbilisi", "Istanbul", "Şanlıurfa"), ("Sofia", "Istanbul", "Kilis"), ("Tunis",)),
    ),
    NetworkProfile(
        "CEDAR",
        "sends fighters to the conflict zones and shares attack know-how on return",
        ("GB", "GB", "DE", "DE", "FR", "FR", "JP"),
        {"foreign_fighter": 7, "facilitator": 2, "recruiter": 2, "propagandist": 1, "financier": 1},
        {
            "foreign_fighter_travel": 4,
            "attack_instructions": 3,
            "explosive_device_manuals": 3,
            "incitement_to_violence": 2,
            "propaganda_promotion": 1,
        },
        {
            "UK-HO": 4,
            "DE-BMI": 3,
            "FR-MININT": 3,
            "IT-MININT": 2,
            "US-DHS": 1,
            "CA-PS": 1,
            "JP-NPA": 2,
        },
        (("Athens", "Istanbul", "Antakya"), ("Istanbul", "Gaziantep")),
    ),
    NetworkProfile(
        "OASIS",
        "raises and moves money: crowdfunding, hawala, prepaid cards and crypto-assets",
        ("US", "US", "GB", "GB", "CA", "CA", "JP"),
        {"financier": 5, "facilitator": 2, "recruiter": 1, "propagandist": 1, "foreign_fighter": 2},
        {"financing": 8, "propaganda_promotion": 1, "recruitment": 1, "other": 1},
        {
            "US-DHS": 4,
            "UK-HO": 3,
            "CA-PS": 3,
            "FR-MININT": 1,
            "DE-BMI": 1,
            "IT-MININT": 1,
            "JP-NPA": 1,
        },
        (("Istanbul",), ("Tunis",)),
    ),
)


@dataclass(frozen=True)
class Account:
    platform: str
    handle: str  # for WhatsApp, the phone number

    def written(self, rng: random.Random) -> str:
        """The account as one report or another writes it: all normalise to one key."""
        h = self.handle
        forms = {
            "telegram": (f"@{h}", f"https://t.me/{h}", f"t.me/{h}"),
            "x": (f"@{h}", f"https://x.com/{h}", f"https://twitter.com/{h.capitalize()}"),
            "tiktok": (f"@{h}", f"https://www.tiktok.com/@{h}"),
            "instagram": (h, f"https://www.instagram.com/{h}/"),
            "facebook": (h, f"https://www.facebook.com/{h}"),
            "youtube": (f"@{h}", f"https://www.youtube.com/@{h}"),
            "vk": (f"https://vk.com/{h}", f"vk.com/{h}"),
            "whatsapp": (h, "https://wa.me/" + "".join(c for c in h if c.isdigit())),
        }[self.platform]
        return rng.choice(forms)


@dataclass
class Member:
    key: str
    name: PersonName
    role: str
    nationality: str
    born: date
    home: tuple[str, str]  # city, country
    networks: list[str]
    accounts: list[Account] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    route: tuple[str, ...] = ()  # transit cities, for travellers
    destination: tuple[str, str] | None = None


@dataclass
class Network:
    profile: NetworkProfile
    alias: PersonName  # the name it gives itself
    members: list[Member]
    channels: list[Account]
    sites: list[str]

    @property
    def code(self) -> str:
        return self.profile.code

    @property
    def label(self) -> str:
        return f"{self.profile.code} network"


@dataclass
class World:
    networks: list[Network]

    def member(self, key: str) -> Member:
        return next(m for n in self.networks for m in n.members if m.key == key)


_NATIONALITIES = {"arabic": ("MA", "TN", "DZ", "SY", "IQ"), "cyrillic": ("RU", "TJ", "UZ", "KG"),
                  "japanese": ("JP",)}  # fmt: skip
_LATIN_LANGUAGE = {"FR": "fr", "BE": "fr", "DE": "de", "IT": "it"}


def _name(rng: random.Random, home: str) -> tuple[PersonName, str]:
    """A name and a nationality for someone living in ``home``."""
    if home == "JP":
        return japanese_person(rng), "JP"
    if home == "RU":
        return cyrillic_person(rng), "RU"
    draw = rng.random()
    if draw < 0.55:
        # Most are nationals of where they live; some hold a parent's nationality.
        nationality = home if rng.random() < 0.7 else rng.choice(_NATIONALITIES["arabic"])
        return arabic_person(rng, female=rng.random() < 0.15), nationality
    if draw < 0.85:
        return latin_person(rng, _LATIN_LANGUAGE.get(home, "en")), home
    return cyrillic_person(rng), rng.choice(_NATIONALITIES["cyrillic"])


def _member(
    rng: random.Random, registry: Registry, profile: NetworkProfile, role: str, number: int
) -> Member:
    home_country = rng.choice(profile.homes)
    if home_country in ("DE", "IT") and rng.random() < 0.25:
        home_country = "RU"  # the Caucasus diaspora that CARAVAN and CEDAR draw on
    name, nationality = _name(rng, home_country)
    member = Member(
        key=f"{profile.code.lower()}-{number}",
        name=name,
        role=role,
        nationality=nationality,
        born=date(rng.randrange(1978, 2006), rng.randrange(1, 13), rng.randrange(1, 29)),
        home=(rng.choice(CITIES[home_country]), home_country),
        networks=[profile.code],
    )
    # Fiction ranges exist for a few countries only; elsewhere members use foreign SIM cards.
    phone_country = home_country if home_country in ("GB", "FR", "US", "CA") else "GB"
    member.phones = [registry.phone(phone_country) for _ in range(rng.randint(1, 2))]
    low, high = ACCOUNTS_PER_ROLE[role]
    platforms = list(PLATFORMS[role]) + (["vk"] if name.script == "cyrillic" else [])
    for platform in rng.sample(platforms, min(len(platforms), rng.randint(low, high))):
        if platform == "whatsapp":
            handle = member.phones[0]
        elif platform == "facebook":
            handle = registry.handle(24).replace("_", ".") + f".{rng.randrange(100, 999)}"
        else:
            handle = registry.handle(15 if platform == "x" else 24)
        member.accounts.append(Account(platform, handle))
    if role == "financier" or rng.random() < 0.3:
        member.emails = [registry.email(name.written_in("en"))]
    if role == "foreign_fighter":
        member.route = rng.choice(profile.routes)
        member.destination = _destination(rng, member.route)
    return member


def _destination(rng: random.Random, route: tuple[str, ...]) -> tuple[str, str]:
    """Through Tunis to Libya, through Algiers to the Sahel, otherwise Syria, Iraq, Afghanistan."""
    if route[-1] == "Tunis":
        return DESTINATIONS[5]
    if route[-1] == "Algiers":
        return DESTINATIONS[7]
    return rng.choice(DESTINATIONS[:5] * 3 + DESTINATIONS[6:7])


def _network(rng: random.Random, registry: Registry, profile: NetworkProfile) -> Network:
    roles = [role for role, count in profile.roles.items() for _ in range(count)]
    members = [_member(rng, registry, profile, role, i + 1) for i, role in enumerate(roles)]
    channels = [
        Account(platform, registry.handle(15 if platform == "x" else 24))
        for platform in rng.sample(("telegram", "tiktok", "youtube", "x", "instagram"), 3)
    ]
    sites = [registry.site() for _ in range(rng.randint(1, 3))]
    return Network(profile, group_alias(rng), members, channels, sites)


def build_world(rng: random.Random) -> World:
    """Four networks; then a few members are shared, so the networks link up."""
    registry = Registry(rng)
    networks = [_network(rng, registry, profile) for profile in PROFILES]
    for network in networks:
        others = [n for n in networks if n is not network]
        for member in rng.sample(network.members, 2):
            partner = rng.choice(others)
            if partner.code not in member.networks:
                member.networks.append(partner.code)
                partner.members.append(member)
    return World(networks)
