"""Two minutes of an analyst's work in one open workspace: the page stays readable and small.

Searches, expansions, paths, timeline clicks and filter changes, over and over, while the
JavaScript heap (Chrome DevTools Protocol, ``Runtime.getHeapUsage``) stays under 200 MB.
Every ``page.evaluate`` here returns plain values (numbers, strings, lists of strings): never
the Cytoscape instance, which Playwright would try to copy out whole.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal.services.analysis import org_graphs
from tests.e2e.conftest import LivePortal, Watch, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ANALYST = "amina.analyst@fr.example.org"
HUB = "account:facebook:meadowpillar36146"
SESSION_SECONDS = 115
HEAP_LIMIT = 200 * 1024 * 1024
PHONES = 60
HOSTILE = "<img src=x onerror=window.xssRan=1>"  # a name is text, never markup


def _post(portal: LivePortal, who: str, title: str, marking: str, entities, relations) -> None:
    portal.post(who, title, entities, relations, recipients=["FR-MININT"], marking=marking)


def _seed(portal: LivePortal) -> None:
    portal.user(ANALYST, "analyst", org="FR-MININT")
    portal.user("it.officer@it.example.org", "liaison", org="IT-MININT")
    portal.user("de.officer@de.example.org", "liaison", org="DE-BMI")
    account = {"ref": "a1", "type": "account", "platform": "facebook", "value": "meadowpillar36146"}
    phones = [
        {"ref": f"t{i}", "type": "phone", "value": f"+44 7700 9001{i:02d}"} for i in range(PHONES)
    ]
    _post(
        portal,
        "it.officer@it.example.org",
        "Meadow pillar",
        "TLP:AMBER",
        [{"ref": "p1", "type": "person", "value": "Omar al-Bahhazi"}, account, *phones],
        [
            {"source": "p1", "type": "uses_account", "target": "a1", "on": "2025-01-15"},
            *(
                {
                    "source": "p1",
                    "type": "uses_phone",
                    "target": f"t{i}",
                    "on": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}",
                }
                for i in range(PHONES)
            ),
        ],
    )
    _post(
        portal,
        "de.officer@de.example.org",
        "Umar seen in Mosul",
        "TLP:AMBER+STRICT",
        [
            {"ref": "p1", "type": "person", "value": "Umar al-Bahhazi"},
            account,
            {"ref": "g1", "type": "group", "value": "Ansar Example"},
        ],
        [
            {"source": "p1", "type": "uses_account", "target": "a1", "on": "2025-06-01"},
            {"source": "p1", "type": "member_of", "target": "g1", "on": "2025-06-02"},
        ],
    )
    _post(
        portal,
        "it.officer@it.example.org",
        "A call from Omar",
        "TLP:GREEN",
        [
            {"ref": "p1", "type": "person", "value": "عمر البهازي"},
            {"ref": "t1", "type": "phone", "value": "+44 7700 900100"},
            {"ref": "p2", "type": "person", "value": HOSTILE},
        ],
        [
            {"source": "p1", "type": "contacted", "target": "t1", "on": "2025-07-01"},
            {"source": "p2", "type": "contacted", "target": "t1", "on": "2025-07-03"},
        ],
    )


def _emit(page: Page, node: str, event: str) -> None:
    # Returns nothing: emit() returns a Cytoscape collection, which must never be copied out.
    page.evaluate("([id, e]) => { window.ischiaGraph.getElementById(id).emit(e); }", [node, event])


def _count(page: Page, selector: str = "node") -> int:
    return int(page.evaluate("(s) => window.ischiaGraph.elements(s).length", selector))


def _node_with_label(page: Page, label: str) -> str:
    return str(
        page.evaluate(
            "(l) => window.ischiaGraph.nodes().filter((n) => n.data('label') === l)"
            ".map((n) => n.id())[0]",
            label,
        )
    )


def _heap(cdp) -> int:
    return int(cdp.send("Runtime.getHeapUsage")["usedSize"])


def _search(page: Page, query: str) -> None:
    page.get_by_label("Identifier or name").fill(query)
    page.get_by_role("button", name="Search", exact=True).click()


# The heap is the page's whatever the database: one backend keeps the suite two minutes longer,
# not four.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_minutes_of_work_keep_the_workspace_readable_and_small(
    page: Page, live_portal: LivePortal, watch: Watch
) -> None:
    org_graphs.forget()
    _seed(live_portal)
    sign_in(page, live_portal, ANALYST)
    page.goto(live_portal.url("/analysis/"))
    cdp = page.context.new_cdp_session(page)
    expect(page.get_by_role("figure", name="Legend")).to_be_visible()
    expect(page.locator("#legend")).to_contain_text("Online account")

    # The first view: the centre and its strongest ties, and the count of what it leaves out.
    _search(page, "@meadowpillar36146")
    count = page.locator("#view-count")
    expect(count).to_contain_text("showing 40 of")
    server = page.request.get(
        live_portal.url("/analysis/neighbourhood"), params={"node": HUB, "radius": 2}
    ).json()
    assert count.inner_text() == server["message"]
    assert server["total"] == PHONES + 4  # the account, three persons, their phones and group
    assert re.fullmatch(r"showing 40 of \d+: filter or expand", server["message"])
    assert _count(page) == 40
    rendered = page.evaluate("() => window.ischiaGraph.nodes().map(n => n.style('label'))")
    assert "@meadowpillar36146 (Facebook)" in rendered
    assert not [label for label in rendered if label.startswith(("account:", "phone:", "person:"))]
    expect(page.locator("#legend-cells li").first).to_be_visible()

    heaps = [_heap(cdp)]
    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < SESSION_SECONDS:
        rounds += 1
        # Search a name: the spellings are one result listing them.
        _search(page, "Omar al-Bahhazi")
        expect(page.locator("#search-hits")).to_contain_text("spellings:")
        expect(page.locator("#search-hits")).to_contain_text("Umar al-Bahhazi")
        _search(page, "@meadowpillar36146")
        page.wait_for_function(
            f"() => window.ischiaGraph.getElementById('{HUB}').hasClass('centre')"
        )

        # A larger view, chosen by the analyst, then back.
        page.get_by_label("Entities in view (at most)").select_option("100")
        page.get_by_role("button", name="Apply").click()
        expect(count).to_have_text(f"showing all {PHONES + 4}")
        page.get_by_label("Entities in view (at most)").select_option("40")

        # Filters: the strict marking is a checkbox like the others, whole.
        strict = page.get_by_label("TLP:AMBER+STRICT", exact=True)
        strict.check()
        page.get_by_role("button", name="Apply").click()
        expect(count).to_have_text("showing all 3")  # the account, Umar and his group
        strict.uncheck()
        page.get_by_role("button", name="Apply").click()
        expect(count).to_contain_text("showing 40 of")

        # Expand a phone: the person three hops out joins the view, on demand.
        before = _count(page)
        _emit(page, "phone:+447700900100", "dbltap")
        page.wait_for_function(f"() => window.ischiaGraph.nodes().length > {before}")
        umar = _node_with_label(page, "Umar al-Bahhazi")
        arabic = _node_with_label(page, "عمر البهازي")

        # A path that stands out: thick red edges, the rest faded.
        _emit(page, umar, "tap")
        page.locator("#panel").get_by_role("button", name="Path from here").click()
        _emit(page, arabic, "tap")
        page.locator("#panel").get_by_role("button", name="Path to here").click()
        page.get_by_role("button", name="Find paths").click()
        expect(page.locator("#status")).to_contain_text("1 shortest path of 4 steps")
        assert _count(page, "edge.path") == 4
        assert _count(page, ".dimmed") > 0
        width = page.evaluate("() => window.ischiaGraph.edges('.path')[0].style('width')")
        assert float(str(width).removesuffix("px")) >= 6
        page.get_by_role("button", name="Clear the path").click()
        assert _count(page, ".dimmed") == 0

        # The timeline: a time axis whose events are clickable.
        page.get_by_role("button", name="Timeline of the entities on screen").click()
        event = page.locator("#timeline-axis .vis-item.vis-point", has_text="Ansar Example")
        expect(event).to_have_count(1)
        event.click()
        expect(page.locator("#panel h2")).to_have_text("Event")
        expect(page.locator("#panel")).to_contain_text("Umar seen in Mosul")
        assert (
            page.evaluate("() => window.ischiaGraph.nodes(':selected').map((n) => n.id())")
            == [umar]
            or _count(page, "node:selected") == 2
        )
        expect(page.locator("#panel a").first).to_have_attribute("href", re.compile("/bulletins/"))
        page.locator("#timeline li button").first.click()
        assert _count(page, "node:selected") >= 1
        # As text (long labels are cut on the axis, the whole name in the item's title).
        expect(page.locator("#timeline-axis")).to_contain_text(HOSTILE[:24])
        assert page.evaluate("() => window.xssRan === undefined")

        heaps.append(_heap(cdp))
    assert rounds >= 3, rounds
    assert max(heaps) < HEAP_LIMIT, [h // (1024 * 1024) for h in heaps]
    assert not watch.page_errors
    assert not watch.console_errors, watch.console_errors
    assert not watch.outside_requests()
