"""What one demo bulletin says: a title, a summary, a Markdown body, entities and relations,
written by one ministry about one network of the synthetic world (see :mod:`.demo_world`).
The result is the ``document`` of a :class:`~portal.services.bulletins.sealing.Draft`.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from portal.demo import grading as demo_grading
from portal.demo.story import PLATFORM_LABEL, Story
from portal.demo.world import Member, Network

TARGETS = (
    "places of worship",
    "police officers",
    "a music festival",
    "Christmas markets",
    "teachers",
    "a Pride march",
    "public transport",
)
METHODS = (
    "hawala transfers",
    "prepaid cards",
    "a crypto-asset wallet",
    "a crowdfunding page",
    "money-service businesses",
    "cash couriers",
)


def _pick(network: Network, rng: random.Random, *roles: str) -> Member:
    members = [m for m in network.members if m.role in roles] or network.members
    return rng.choice(members)


def write(
    rng: random.Random, network: Network, category: str, sender: str, on: date
) -> dict[str, Any]:
    """The document of one bulletin of ``category`` about ``network``, sent by ``sender``."""
    story = Story(rng, sender, on)
    writer = _WRITERS[category]
    title, summary, narrative, assessment = writer(story, network)
    group = story.group(network)
    for entity in list(story.entities):
        if entity["type"] == "person" and rng.random() < 0.5:
            story.relate(entity["ref"], "member_of", group)
    document = story.document(title, summary, story.body(narrative, network, assessment))
    return {**document, **demo_grading.grading_and_tags(story, network.code, category)}


def _recruitment(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    recruiter = _pick(network, rng, "recruiter", "propagandist")
    ref = story.member_with_identifiers(recruiter, 3)
    recruits = rng.sample(network.members, min(len(network.members), rng.randint(1, 3)))
    for recruit in recruits:
        if recruit is not recruiter:
            story.relate(
                ref,
                "recruited",
                story.member_with_identifiers(recruit, 1),
                story.days_before(10, 300),
            )
    channel = rng.choice(network.channels)
    story.account(channel)
    name, city = story.name_of(recruiter), recruiter.home[0]
    label = PLATFORM_LABEL[channel.platform]
    title = rng.choice(
        (
            f"Recruiter {name} approaching young people via {label}",
            f"Recruitment in {city} linked to the {network.label}",
            f"New recruiter identified in the {network.label}: {name}",
        )
    )
    summary = f"{name} contacts young people online and moves them to closed {label} groups."
    narrative = [
        f"Since {story.days_before(30, 200):%d %B %Y}, {name} has approached at least "
        f"{rng.randint(3, 25)} minors and young adults in and around {city}. Contact starts "
        f"in public comment threads and continues in a closed {label} group.",
        f"{len(recruits)} of the contacts are named below; several later travelled or tried to.",
    ]
    assessment = [
        "The recruiter is active and adapts quickly to account suspensions.",
        f"Other members of the {network.label} relay the recruiter's posts.",
    ]
    return title, summary, narrative, assessment


def _propaganda(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    author = _pick(network, rng, "propagandist", "recruiter")
    story.member_with_identifiers(author, 2)
    for channel in rng.sample(network.channels, rng.randint(1, len(network.channels))):
        story.account(channel)
    site = rng.choice(network.sites)
    story.url(f"{site}/library/{rng.randrange(10, 400)}")
    handle = network.channels[0].handle
    title = rng.choice(
        (
            f"{network.profile.code} channel @{handle} relays new material",
            f"Propaganda videos re-uploaded after takedown ({network.label})",
            f"Mirror site of {network.label} material at {site.removeprefix('https://')}",
        )
    )
    summary = f"New material of the {network.label} spreads through mirrored channels."
    narrative = [
        f"On {story.days_before(1, 30):%d %B %Y} a new video series appeared on the network's "
        f"channels; within {rng.randint(2, 48)} hours it was mirrored on {rng.randint(3, 40)} "
        "accounts and on the site below.",
    ]
    assessment = [
        "Takedowns are followed by re-uploads within hours.",
        f"{story.name_of(author)} appears to coordinate the uploads.",
    ]
    return title, summary, narrative, assessment


def _incitement(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    author = _pick(network, rng, "propagandist", "recruiter", "foreign_fighter")
    story.member_with_identifiers(author, 2)
    target, account = rng.choice(TARGETS), rng.choice(author.accounts)
    label = PLATFORM_LABEL[account.platform]
    title = f"Calls to attack {target} posted on {label} by {story.name_of(author)}"
    summary = f"Explicit calls to violence against {target}, with a date and a place."
    narrative = [
        f"Posts of {story.days_before(1, 14):%d %B %Y} call on followers to attack {target} "
        f"and were shared {rng.randint(20, 900)} times before removal."
    ]
    assessment = [
        "The calls are explicit; no operational link to a plot has been established.",
        "Followers in several recipient countries engaged with the posts.",
    ]
    return title, summary, narrative, assessment


def _know_how(
    story: Story, network: Network, devices: bool
) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    author = _pick(network, rng, "foreign_fighter", "propagandist")
    story.member_with_identifiers(author, 2)
    site = rng.choice(network.sites)
    story.url(f"{site}/files/{rng.randbytes(6).hex()}.pdf")
    story.account(rng.choice(network.channels))
    kind = rng.choice(("guide", "manual", "handbook"))
    language = rng.choice(("Arabic", "French", "English", "German", "Russian"))
    subject = "explosive-device" if devices else "attack"
    title = rng.choice(
        (
            f"{subject.capitalize()} {kind} shared in a {network.profile.code} channel",
            f"Instructional {kind} ({subject}s) circulated by {story.name_of(author)}",
        )
    )
    what = "making explosive devices" if devices else "carrying out attacks"
    summary = f"A PDF {kind} on {what} circulates in the {network.label}."
    narrative = [
        f"The {kind} ({rng.randint(12, 90)} pages, in {language}) was first posted in a closed "
        "group and then on the site below.",
        "Its content is not reproduced here; the file is available from the sender on request.",
    ]
    assessment = [
        "The material lowers the threshold for lone actors.",
        "Removal requests to the hosting providers are in progress.",
    ]
    return title, summary, narrative, assessment


def _travel(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    traveller = _pick(network, rng, "foreign_fighter")
    person = story.member_with_identifiers(traveller, 1)
    origin, via, destination = story.journey(traveller, person)
    helper = _pick(network, rng, "facilitator")
    if helper is not traveller:
        helper_ref = story.member_with_identifiers(helper, 1)
        story.relate(helper_ref, "contacted", person, story.days_before(20, 60))
        story.place(*helper.home)
    name, country = story.name_of(traveller), traveller.nationality
    title = rng.choice(
        (
            f"Departure of {name} from {origin} via {via} to {destination}",
            f"{name} ({country}) seen in {traveller.route[-1]}, probably heading to {destination}",
            f"Suspected travel of {name} to {destination}: facilitator in {helper.home[0]}",
        )
    )
    summary = f"{name} travelled from {origin} through {via} towards {destination}."
    narrative = [
        f"{name}, born {traveller.born:%Y}, left {origin} around "
        f"{story.days_before(5, 60):%d %B %Y}. The journey went through {via}, where a "
        f"facilitator of the {network.label} arranged the crossing.",
    ]
    assessment = [
        "The route matches earlier journeys organised by the same facilitators.",
        "Border authorities on the route have not yet been informed.",
    ]
    return title, summary, narrative, assessment


def _financing(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    financier = _pick(network, rng, "financier")
    payer = story.member_with_identifiers(financier, 2)
    receivers = [m for m in network.members if m.role in ("facilitator", "foreign_fighter")]
    for receiver in rng.sample(receivers, min(len(receivers), rng.randint(1, 3))):
        story.relate(
            payer, "financed", story.member_with_identifiers(receiver, 1), story.days_before(5, 90)
        )
    method, amount = rng.choice(METHODS), rng.randrange(2, 90) * 500
    name = story.name_of(financier)
    title = rng.choice(
        (
            f"Transfers by {name} to {network.label} members via {method}",
            f"Fundraising for the {network.label} through {method}",
        )
    )
    summary = f"About EUR {amount:,} moved to members of the {network.label} through {method}."
    narrative = [
        f"Between {story.days_before(60, 180):%B %Y} and {story.days_before(1, 50):%B %Y}, "
        f"{name} collected and forwarded about EUR {amount:,} through {method}."
    ]
    assessment = [
        "The amounts are small and spread to stay under reporting thresholds.",
        "Financial intelligence units of the recipients may hold related reports.",
    ]
    return title, summary, narrative, assessment


def _other(story: Story, network: Network) -> tuple[str, str, list[str], list[str]]:
    rng = story.rng
    members = rng.sample(network.members, min(len(network.members), rng.randint(2, 4)))
    for member in members:
        story.member_with_identifiers(member, 1)
    title = f"{network.label}: membership update ({len(members)} persons)"
    summary = f"Updated list of persons assessed as members of the {network.label}."
    narrative = [
        f"Reporting since {story.days_before(30, 120):%B %Y} confirms the role of "
        + ", ".join(story.name_of(m) for m in members)
        + "."
    ]
    assessment = ["The network's structure is stable; roles change more often than people."]
    return title, summary, narrative, assessment


_WRITERS = {
    "recruitment": _recruitment,
    "propaganda_promotion": _propaganda,
    "incitement_to_violence": _incitement,
    "attack_instructions": lambda story, network: _know_how(story, network, devices=False),
    "explosive_device_manuals": lambda story, network: _know_how(story, network, devices=True),
    "foreign_fighter_travel": _travel,
    "financing": _financing,
    "other": _other,
}
