"""The demo bulletins' evaluation and handling codes and tags, from what each story already
says (its source and the grade its body gives), without drawing from the random generator, so
that the rest of the demo is the same as before gradings existed."""

from __future__ import annotations

from typing import Any

from portal.demo.story import UNTESTED_SOURCE, Story

# The handling code each kind of source calls for, and H3's conditions.
_HANDLING = {
    "a judicially authorised interception": "H1",
    UNTESTED_SOURCE: "H2",
    "a liaison partner": "H3",
}
_H3_CONDITIONS = (
    "Not to be shared beyond the recipient ministries without the sender's agreement; "
    "not for use in immigration proceedings."
)
_MODUS = {
    "recruitment": "modus-operandi:online-recruitment",
    "incitement_to_violence": "modus-operandi:incitement",
    "propaganda_promotion": "modus-operandi:propaganda-production",
    "financing": "modus-operandi:crowdfunding",
    "attack_instructions": "modus-operandi:attack-planning",
    "explosive_device_manuals": "modus-operandi:attack-planning",
    "foreign_fighter_travel": "travel-route:eastern-mediterranean",
}
_GROUP = {"LANTERN": "group:jihadist", "CEDAR": "group:jihadist", "CARAVAN": "group:other",
          "OASIS": "group:other"}  # fmt: skip
_PLATFORM = {
    "telegram": "platform:messaging",
    "whatsapp": "platform:messaging",
    "youtube": "platform:video-sharing",
    "tiktok": "platform:video-sharing",
    "facebook": "platform:social-media",
    "instagram": "platform:social-media",
    "x": "platform:social-media",
    "vk": "platform:social-media",
}


def grading_and_tags(story: Story, network: str, category: str) -> dict[str, Any]:
    """``grading`` and ``tags`` of a story's document."""
    handling = _HANDLING.get(story.source, "H0")
    grading: dict[str, Any] = {
        "source": story.grade[0],  # X for a source of untested reliability
        "information": story.grade[1],
        "handling": handling,
    }
    if handling == "H3":
        grading["conditions"] = _H3_CONDITIONS
    tags = [t for t in (_GROUP.get(network), _MODUS.get(category)) if t]
    platforms = {e.get("platform") for e in story.entities if e.get("type") == "account"}
    tags += sorted({_PLATFORM[p] for p in platforms if p in _PLATFORM})
    return {"grading": grading, "tags": tags}
