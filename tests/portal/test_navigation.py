"""The main navigation: the links each kind of user sees, the current page, and role changes."""

from __future__ import annotations

import re

import pytest

from portal.services.accounts import directory as accounts
from portal.services.principals import CLI

NAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>')


def links(html: str) -> list[tuple[str, str, bool]]:
    nav = NAV.search(html)
    assert nav, "no main navigation on the page"
    return [(label, href, bool(current)) for href, current, label in LINK.findall(nav.group(1))]


def labels(html: str) -> list[str]:
    return [label for label, _, _ in links(html)]


@pytest.mark.parametrize(
    ("roles", "kind", "expected"),
    [
        (
            ("analyst",),
            "member",
            [
                "Dashboard",
                "Inbox",
                "Search",
                "Notifications",
                "Analysis",
                "Briefings",
                "Hash banks",
            ],
        ),
        (
            ("liaison",),
            "member",
            [
                "Dashboard",
                "Inbox",
                "Compose",
                "Search",
                "Notifications",
                "Refer content",
                "My referrals",
                "Transparency",
                "Hash banks",
                "Access requests",
            ],
        ),
        (
            ("official",),
            "member",
            ["Dashboard", "Inbox", "Search", "Notifications", "Briefings", "Transparency"],
        ),
        (
            ("org_admin",),
            "member",
            [
                "Dashboard",
                "Inbox",
                "Search",
                "Notifications",
                "Users",
                "Audit trail",
                "Sharing groups",
            ],
        ),
        (
            ("sysadmin",),
            "member",
            [
                "Dashboard",
                "Inbox",
                "Search",
                "Notifications",
                "Users",
                "Audit trail",
                "Organisations",
                "Retention",
            ],
        ),
        (
            ("platform_liaison",),
            "platform",
            ["Dashboard", "Referrals", "Webhook", "Transparency", "Hash banks"],
        ),
        (("org_admin",), "platform", ["Dashboard", "Webhook", "Users", "Audit trail"]),
    ],
)
def test_each_user_sees_the_links_of_their_roles(client, auth, people, roles, kind, expected):
    org = "META" if kind == "platform" else "FR-MININT"
    people.user("someone@example.org", *roles, org=org, kind=kind)
    auth.sign_in("someone@example.org")
    assert labels(client.get("/").text) == expected


def test_every_link_leads_to_a_page_the_user_may_open(client, auth, people):
    people.user("all@example.org", "analyst", "liaison", "official", "org_admin", "sysadmin")
    auth.sign_in("all@example.org")
    found = links(client.get("/").text)
    assert len(found) == 17
    for label, href, _ in found:
        assert client.get(href).status_code == 200, label


def test_the_current_page_is_marked_and_only_it(client, auth, people):
    people.user("ana@example.org", "analyst", "liaison")
    auth.sign_in("ana@example.org")
    for path, label in [
        ("/", "Dashboard"),
        ("/bulletins/", "Inbox"),
        ("/analysis/", "Analysis"),
        ("/briefings/", "Briefings"),
    ]:
        page = client.get(path)
        assert page.status_code == 200, path
        current = [name for name, _, is_current in links(page.text) if is_current]
        assert current == [label], path


def test_links_follow_a_change_of_roles_on_the_next_request(app, client, auth, people):
    user_id = people.user("ana@example.org", "analyst")
    auth.sign_in("ana@example.org")
    assert "Compose" not in labels(client.get("/").text)
    with app.app_context():
        accounts.set_roles(CLI, user_id, ["analyst", "liaison"])
    assert "Compose" in labels(client.get("/").text)
    with app.app_context():
        accounts.set_roles(CLI, user_id, ["analyst"])
    assert "Compose" not in labels(client.get("/").text)


def test_signed_out_pages_have_no_navigation(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert NAV.search(page.text) is None
    assert 'href="/login"' in page.text  # the brand leads to the sign-in page


def test_links_follow_the_application_root(app, client, auth, people):
    people.user("root@example.org", "analyst")
    auth.sign_in("root@example.org")
    plain = links(client.get("/").text)
    mounted = links(client.get("/", base_url="http://localhost/ischia/").text)
    assert [href for _, href, _ in mounted] == ["/ischia" + href for _, href, _ in plain]
    assert [href for _, href, _ in links(client.get("/").text)] == [h for _, h, _ in plain]
