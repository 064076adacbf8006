"""An analyst in Chromium: searches a name in Arabic script, sees the graph, expands a node,
finds a path between two actors and downloads GraphML that NetworkX reads back."""

from __future__ import annotations

import re

import networkx as nx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from portal.services.analysis import org_graphs
from tests.e2e.conftest import LivePortal, Watch, sign_in

pytestmark = pytest.mark.e2e

ANALYST = "amina.analyst@fr.example.org"
ARABIC = "أبو محمد الشامي"


def _post(portal: LivePortal, who: str, org: str, title: str, entities, relations) -> None:
    recipients = ["FR-MININT"] if org != "FR-MININT" else ["DE-BMI"]
    portal.post(who, title, entities, relations, recipients=recipients, body="Seen twice.")


def _seed(portal: LivePortal) -> None:
    portal.user(ANALYST, "analyst", org="FR-MININT")
    portal.user("it.officer@it.example.org", "liaison", org="IT-MININT")
    portal.user("de.officer@de.example.org", "liaison", org="DE-BMI")
    account = {"ref": "a1", "type": "account", "platform": "telegram", "value": "@shami_media"}
    _post(
        portal,
        "it.officer@it.example.org",
        "IT-MININT",
        "Recruiter",
        [{"ref": "p1", "type": "person", "value": ARABIC}, account],
        [{"source": "p1", "type": "uses_account", "target": "a1"}],
    )
    _post(
        portal,
        "de.officer@de.example.org",
        "DE-BMI",
        "Contact",
        [
            {"ref": "p1", "type": "person", "value": "Karim Example"},
            account,
            {"ref": "t1", "type": "phone", "value": "+33 6 12 34 56 78"},
        ],
        [
            {"source": "p1", "type": "uses_account", "target": "a1"},
            {"source": "p1", "type": "contacted", "target": "t1"},
        ],
    )


def _tap(page: Page, node: str) -> None:
    # The function returns nothing: Playwright would copy out whatever it returned, and emit()
    # returns the Cytoscape collection, which reaches the whole graph and its renderer (that
    # took half a minute per tap and could exhaust Chromium's JavaScript heap).
    page.evaluate("(id) => { window.ischiaGraph.getElementById(id).emit('tap'); }", node)
    expect(page.locator("#panel .entity-label")).to_be_visible()


def test_analyst_searches_expands_finds_a_path_and_downloads_graphml(
    page: Page, live_portal: LivePortal, watch: Watch, tmp_path
) -> None:
    org_graphs.forget()
    _seed(live_portal)
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    sign_in(page, live_portal, ANALYST)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Link analysis")
    page.get_by_label("Radius").select_option("1")
    page.get_by_label("Identifier or name").fill(ARABIC)
    page.get_by_role("button", name="Search", exact=True).click()
    # The first search builds the organisation's graph (forgotten above): on a machine busy with
    # the other browser tests that has taken more than the default ten seconds.
    page.wait_for_function("() => window.ischiaGraph.nodes().length > 0", timeout=30_000)
    first = page.evaluate("() => window.ischiaGraph.nodes().length")
    assert first == 2  # the person and the account, radius 1

    _tap(page, "account:telegram:shami_media")
    expect(page.locator("#panel")).to_contain_text("Recruiter")
    expect(page.locator("#panel")).to_contain_text("Contact")
    page.locator("#panel").get_by_role("button", name="Expand").click()
    page.wait_for_function(f"() => window.ischiaGraph.nodes().length > {first}")

    person = page.evaluate(
        "(label) => window.ischiaGraph.nodes().filter(n => n.data('label') === label)[0].id()",
        ARABIC,
    )
    _tap(page, person)
    page.locator("#panel").get_by_role("button", name="Path from here").click()
    page.get_by_label("Radius").select_option("3")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        "() => window.ischiaGraph.getElementById('phone:+33612345678').nonempty()"
    )
    _tap(page, "phone:+33612345678")
    page.locator("#panel").get_by_role("button", name="Path to here").click()
    page.get_by_role("button", name="Find paths").click()
    expect(page.locator("#status")).to_contain_text("1 shortest path of 3 steps")
    on_screen = page.evaluate("() => window.ischiaGraph.nodes().length")

    with page.expect_download() as download:
        page.get_by_role("button", name="GraphML").click()
    path = tmp_path / "view.graphml"
    download.value.save_as(path)
    assert nx.read_graphml(path).number_of_nodes() == on_screen

    # The timeline opens with room around its events: no label runs past the axis's edge.
    page.get_by_role("button", name="Timeline of the entities on screen").click()
    expect(page.locator("#timeline-axis .vis-item").first).to_be_visible()
    expect(page.locator("#status")).to_have_text("")  # the path's message was another view's
    outside = page.evaluate(
        """() => {
          const panel = document.querySelector('#timeline-axis .vis-panel.vis-center')
            .getBoundingClientRect();
          return [...document.querySelectorAll('#timeline-axis .vis-item')]
            .map((i) => i.getBoundingClientRect())
            .filter((r) => r.left < panel.left - 1 || r.right > panel.right + 1).length;
        }"""
    )
    assert outside == 0
    margins = page.evaluate(
        """() => {
          const w = window.ischiaTimeline.getWindow();
          const days = [...document.querySelectorAll('#timeline li')]
            .map((li) => Date.parse(li.dataset.on));
          const first = Math.min(...days), last = Math.max(...days);
          const span = Math.max(last - first, 864e5);  // at least a day
          return [(first - w.start) / span, (w.end - last - 864e5) / span];
        }"""
    )
    # Room before the first day, and more after the end of the last one for its labels.
    assert margins[0] > 0.05 and margins[1] > 0.3
    titles = page.eval_on_selector_all(
        "#timeline-axis .timeline-label", "(labels) => labels.map((l) => l.title)"
    )
    # Days as the page's language writes them ("2 May 2026"), on the axis and in the list.
    assert titles and all(re.match(r"\d{1,2} [A-Z][a-z]{2} \d{4} · ", t) for t in titles)
    listed = page.locator("#timeline li").first.inner_text()
    assert re.match(r"\d{1,2} [A-Z][a-z]{2} \d{4} · ", listed), listed
    expect(page.locator("#timeline-more")).to_be_hidden()  # two rows fit: no hint

    # The PNG is marked like a briefing: a black band with the marking in its colour.
    header = page.evaluate("() => window.ischiaExportHeader()")
    assert header.startswith("TLP:AMBER · FR-MININT · ")
    with page.expect_download() as download:
        page.get_by_role("button", name="PNG").click()
    png = tmp_path / "view.png"
    download.value.save_as(png)
    with Image.open(png) as picture:
        rgb = picture.convert("RGB")
        band = [rgb.getpixel((x, y)) for x in range(0, 400) for y in range(4, 52)]
        assert rgb.getpixel((2, 2)) == (0, 0, 0)
        assert sum(1 for p in band if p[0] > 240 and 180 < p[1] < 205 and p[2] < 20) > 50
        assert rgb.getpixel((2, rgb.height - 3)) == (0, 0, 0)
    assert not [w for w in warnings if "wheel" in w.lower()]
    assert not watch.page_errors
