"""Keyboard only: the skip link comes first, and signing in needs no mouse."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, LivePortal

pytestmark = pytest.mark.e2e

EMAIL = "keys.only@fr.example.org"
MAX_TABS = 12  # a page with more stops than this before its form is hard to use by keyboard


def focused(page: Page, expression: str) -> object:
    return page.evaluate(f"() => {{ const e = document.activeElement; return {expression}; }}")


def tab_to(page: Page, element_id: str) -> int:
    """Press Tab until the element has focus; return how many presses it took."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if focused(page, "e.id") == element_id:
            return presses
    raise AssertionError(f"#{element_id} not reached in {MAX_TABS} Tab presses")


def test_skip_link_is_the_first_tab_stop_and_sign_in_works_by_keyboard(
    page: Page, live_portal: LivePortal
) -> None:
    live_portal.user(EMAIL, "analyst")
    page.goto(live_portal.url("/login"))

    page.keyboard.press("Tab")
    assert focused(page, "e.textContent.trim()") == "Skip to content"
    assert focused(page, "e.getAttribute('href')") == "#main"
    # Hidden until focused, then on screen with a visible focus outline.
    box = page.get_by_role("link", name="Skip to content").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0
    assert focused(page, "getComputedStyle(e).outlineStyle") != "none"

    page.keyboard.press("Enter")
    assert focused(page, "e.id") == "main"
    assert tab_to(page, "email") == 1
    page.keyboard.type(EMAIL)
    assert tab_to(page, "password") == 1
    assert focused(page, "getComputedStyle(e).outlineStyle") != "none"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # The skip link put #main in the address; redirects keep it.
    page.wait_for_url(re.compile(re.escape(live_portal.url("/login/verify")) + "(#main)?$"))
    tab_to(page, "code")
    page.keyboard.type(live_portal.current_code(EMAIL))
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(re.escape(live_portal.url("/")) + "(#main)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Keys Only")
