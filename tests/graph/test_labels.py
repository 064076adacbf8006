"""One labelling function: what a person would write for a node, everywhere."""

from __future__ import annotations

from datetime import date

import pytest

from graph.build import build_graph
from graph.export import to_csv, to_cytoscape
from graph.labels import display_label, record_label
from graph.model import Bulletin, Entity, Provenance, Relation
from graph.search import find_nodes


@pytest.mark.parametrize(
    ("key", "data", "expected"),
    [
        (
            "account:facebook:meadowpillar36146",
            {"type": "account"},
            "@meadowpillar36146 (Facebook)",
        ),
        (
            "account:telegram:abu_x",
            {"type": "account", "label": "account:telegram:abu_x"},
            "@abu_x (Telegram)",
        ),
        ("account:mastodon:someone", {"type": "account"}, "@someone (Mastodon)"),
        ("phone:+447700900123", {"type": "phone"}, "+44 7700 900123"),
        ("phone:+33612345678", {"type": "phone"}, "+33 6 12 34 56 78"),
        ("phone:not-a-number", {"type": "phone"}, "not-a-number"),
        ("location:raqqa", {"type": "location", "label": "location:raqqa"}, "raqqa"),
        ("group:ansar al sharia", {"type": "group", "label": "Ansar al-Sharia"}, "Ansar al-Sharia"),
        ("person:B-1:p", {"type": "person", "label": "أبو محمد"}, "أبو محمد"),
        ("bulletin:B-9", {"type": "bulletin", "label": "B-9"}, "Bulletin B-9"),
    ],
)
def test_labels_are_what_a_person_writes(key, data, expected) -> None:
    assert display_label(key, data) == expected


def test_an_email_reads_as_the_first_bulletin_wrote_it() -> None:
    written = Entity("e", "email", value="Abu.X@Example.org")
    later = Entity("e", "email", value="abu.x@example.org")
    data = {
        "type": "email",
        "label": "email:abu.x@example.org",
        "mentions": {"B-2": (later,), "B-1": (written,)},
    }
    assert display_label("email:abu.x@example.org", data) == "Abu.X@Example.org"


def test_markup_in_a_name_stays_text() -> None:
    """The label is the name itself: the page puts it in as text, never as HTML."""
    data = {"type": "person", "label": "<img src=x onerror=alert(1)>"}
    assert display_label("person:B-1:p", data) == "<img src=x onerror=alert(1)>"


def test_exports_and_search_use_the_same_label() -> None:
    g = build_graph(
        [
            Bulletin(
                Provenance("B-1", "FR", date(2025, 1, 1), "TLP:AMBER"),
                (
                    Entity("p", "person", name="Omar al-Bahhazi"),
                    Entity("a", "account", platform="facebook", handle="meadowpillar36146"),
                    Entity("t", "phone", value="+44 7700 900123"),
                ),
                (Relation("uses_account", "p", "a"), Relation("uses_phone", "p", "t")),
            )
        ],
        bulletin_nodes=False,
    )
    nodes = {n["data"]["id"]: n["data"]["label"] for n in to_cytoscape(g)["elements"]["nodes"]}
    assert nodes["account:facebook:meadowpillar36146"] == "@meadowpillar36146 (Facebook)"
    assert nodes["phone:+447700900123"] == "+44 7700 900123"
    assert find_nodes(g, "@meadowpillar36146")[0].label == "@meadowpillar36146 (Facebook)"
    csv_text = to_csv(g)
    assert "account:facebook:meadowpillar36146,'@meadowpillar36146 (Facebook)" not in csv_text
    assert (
        "'@meadowpillar36146 (Facebook)" in csv_text
        and "account:facebook:meadowpillar36146" in csv_text
    )


def test_records_of_one_name_read_apart_by_sender_and_date() -> None:
    it = Provenance("B-1", "IT-MININT", date(2026, 5, 2), "TLP:AMBER")
    de = Provenance("B-2", "DE-BMI", date(2026, 5, 9), "TLP:GREEN")
    first = record_label("Hasan al-Ghatufi", [it])
    second = record_label("Hasan al-Ghatufi", [de, it])
    assert first == "Hasan al-Ghatufi (IT-MININT, 2 May 2026)"
    assert second == "Hasan al-Ghatufi (DE-BMI, 9 May 2026, and 1 more bulletin)"
    assert first != second
