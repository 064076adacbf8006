"""The main navigation: which links a signed-in person sees, and the URLs of the layout's assets.

Every page renders the layout, so what it needs is worked out once per combination of roles and
organisation kind (and per application root) and kept: building 15 URLs and testing roles on
every request was a third of the dashboard's time. The links still follow the person's current
roles on every request, since the roles come from the session record read on each request.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.i18n import current_language
from portal.models import OrgKind, Role
from portal.principal import current_reader
from portal.services.briefings import BRIEFING_ROLES
from portal.services.bulletins import inbox
from portal.services.discovery import access_requests
from portal.services.referrals import overview
from portal.services.watchlists import notifications

_Rule = Callable[[frozenset[Role], OrgKind], bool]


def _everyone(roles: frozenset[Role], kind: OrgKind) -> bool:
    return True


def _ministry(*wanted: Role) -> _Rule:
    """Holders of any of ``wanted`` (anyone, if none) outside platform partners."""

    def rule(roles: frozenset[Role], kind: OrgKind) -> bool:
        return kind != OrgKind.PLATFORM and (not wanted or not roles.isdisjoint(wanted))

    return rule


def _platform(*wanted: Role) -> _Rule:
    """Holders of any of ``wanted`` in a platform partner."""

    def rule(roles: frozenset[Role], kind: OrgKind) -> bool:
        return kind == OrgKind.PLATFORM and not roles.isdisjoint(wanted)

    return rule


def _transparency(roles: frozenset[Role], kind: OrgKind) -> bool:
    """A platform's liaison officers; a ministry's (or observer's) liaison officers and
    officials."""
    if kind == OrgKind.PLATFORM:
        return Role.PLATFORM_LIAISON in roles
    return not roles.isdisjoint((Role.LIAISON, Role.OFFICIAL))


def _holders(*wanted: Role) -> _Rule:
    def rule(roles: frozenset[Role], kind: OrgKind) -> bool:
        return not roles.isdisjoint(wanted)

    return rule


@dataclass(frozen=True, slots=True)
class _Entry:
    label: Any  # lazy: put in words in the page's language when the menu is built
    endpoint: str
    shown: _Rule
    current: tuple[str, ...]  # endpoints on which the link is the current page
    section: str | None = None  # or every endpoint of this blueprint


_MAIN: tuple[_Entry, ...] = (
    _Entry(_l("Dashboard"), "dashboard.index", _everyone, ("dashboard.index",)),
    _Entry(
        _l("Referrals"),
        "referrals.queue",
        _platform(Role.PLATFORM_LIAISON),
        ("referrals.queue", "referrals.queue_item"),
    ),
    _Entry(_l("Inbox"), "bulletins.inbox", _ministry(), ("bulletins.inbox", "bulletins.read")),
    _Entry(_l("Compose"), "bulletins.compose", _ministry(Role.LIAISON), ("bulletins.compose",)),
    _Entry(
        _l("Search"),
        "bulletins.search",
        _ministry(),
        # An entity's page is what searching leads to (and the read page's names).
        ("bulletins.search", "bulletins.ask", "watchlists.entity"),
    ),
    _Entry(
        _l("Notifications"),
        "watchlists.notices",
        _ministry(),
        ("watchlists.notices", "watchlists.watchlist"),
    ),
    _Entry(_l("Refer content"), "referrals.refer", _ministry(Role.LIAISON), ("referrals.refer",)),
    _Entry(
        _l("My referrals"),
        "referrals.mine",
        _ministry(Role.LIAISON),
        ("referrals.mine", "referrals.mine_item", "referrals.sent", "referrals.bulk_index"),
    ),
    _Entry(
        _l("Analysis"), "analysis.workspace_page", _ministry(Role.ANALYST), (), section="analysis"
    ),
    _Entry(
        _l("Briefings"),
        "briefings.index",
        _ministry(*sorted(BRIEFING_ROLES)),
        (),
        section="briefings",
    ),
    _Entry(
        _l("Webhook"),
        "referrals.webhook",
        _platform(Role.ORG_ADMIN, Role.PLATFORM_LIAISON),
        ("referrals.webhook",),
    ),
    _Entry(
        _l("Transparency"),
        "referrals.transparency",
        _transparency,
        ("referrals.transparency", "referrals.transparency_page"),
    ),
    _Entry(
        _l("Hash banks"),
        "hashbanks.index",
        _holders(Role.PLATFORM_LIAISON, Role.LIAISON, Role.ANALYST),
        (),
        section="hashbanks",
    ),
    _Entry(
        _l("Access requests"),
        "bulletins.requests",
        _ministry(Role.LIAISON),
        ("bulletins.requests", "bulletins.outgoing_requests"),
    ),
    _Entry(
        _l("Users"),
        "admin.users",
        _holders(Role.ORG_ADMIN, Role.SYSADMIN),
        ("admin.users", "admin.user"),
    ),
    _Entry(
        _l("Audit trail"),
        "admin.audit_trail",
        _holders(Role.ORG_ADMIN, Role.SYSADMIN),
        ("admin.audit_trail",),
    ),
    _Entry(
        _l("Sharing groups"), "bulletins.groups", _ministry(Role.ORG_ADMIN), ("bulletins.groups",)
    ),
    _Entry(
        _l("Organisations"),
        "admin.organisations",
        _holders(Role.SYSADMIN),
        ("admin.organisations",),
    ),
    _Entry(
        _l("Retention"), "bulletins.retention", _holders(Role.SYSADMIN), ("bulletins.retention",)
    ),
)


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str
    current: bool
    count: int | None = None  # what waits behind the link, shown next to its label


@dataclass(frozen=True, slots=True)
class _Built:
    entry: _Entry
    url: str
    label: str  # in the language the menu was built for (part of the cache key)

    def link(self, endpoint: str | None) -> Link:
        current = endpoint in self.entry.current or (
            self.entry.section is not None
            and endpoint is not None
            and endpoint.startswith(self.entry.section + ".")
        )
        return Link(self.label, self.url, current)


_MOST_ENTRIES = 512  # role sets x organisation kinds x languages x application roots, assets


def _cache() -> dict[tuple[object, ...], object]:
    cache: dict[tuple[object, ...], object] = current_app.extensions.setdefault(
        "ischia.navigation", {}
    )
    if len(cache) > _MOST_ENTRIES:
        # Only a proxy passing odd application roots could get here: start afresh.
        cache.clear()
    return cache


def main_links(roles: frozenset[Role], kind: OrgKind) -> list[Link]:
    """The main navigation for these roles and organisation kind, with the current page marked."""
    # The language is part of the key: a menu kept in one language is never shown in another.
    key = ("main", request.script_root, roles, kind, current_language())
    cache = _cache()
    built = cache.get(key)
    if built is None:
        built = cache[key] = tuple(
            _Built(entry, url_for(entry.endpoint), str(entry.label))
            for entry in _MAIN
            if entry.shown(roles, kind)
        )
    endpoint = request.endpoint
    links = [item.link(endpoint) for item in built]  # type: ignore[attr-defined]
    counts = _counts(roles, kind)
    return [
        dataclasses.replace(link, count=counts.get(item.entry.endpoint))
        for item, link in zip(built, links, strict=True)  # type: ignore[call-overload]
    ]


MENU_CAP = 99  # the menu shows "99+" beyond
# Seconds a person's menu counts are kept (the dashboard's own counts are always fresh). What
# the person does themselves shows at once all the same: a person's kept counts are dropped
# after any successful POST of theirs (``forget_after_change``), and the pages that show or
# change what is counted (the inbox, a bulletin read, the notifications, the access requests,
# the referral queue) count afresh, so that a page listing new items never shows a stale zero
# beside its own link. Only what others do (a bulletin arriving) may take up to this long.
MENU_COUNTS_TTL = 30.0
_MOST_COUNTED = 4096  # people whose counts are kept at once, per process
# Pages on which the menu counts afresh: they list, or change by being read, what is counted.
_COUNTED_PAGES = frozenset(
    {
        "bulletins.inbox",
        "bulletins.read",
        "watchlists.notices",
        "bulletins.requests",
        "referrals.queue",
        "referrals.queue_item",
    }
)
_KEPT = "ischia.menu_counts"


def forget_counts(user_id: int) -> None:
    """Drop the kept menu counts of ``user_id`` (in this process): the next page counts afresh."""
    kept: dict[tuple[int, frozenset[Role]], object] = current_app.extensions.get(_KEPT, {})
    for key in [key for key in kept if key[0] == user_id]:
        kept.pop(key, None)


def forget_after_change(response: Response) -> Response:
    """``after_request``: a signed-in person's successful POST may have changed what their menu
    counts (read, acknowledged, marked seen, answered), so their kept counts go."""
    if request.method == "POST" and response.status_code < 400 and current_user.is_authenticated:
        forget_counts(int(current_user.id))
    return response


def _counts(roles: frozenset[Role], kind: OrgKind) -> dict[str, int]:
    """What waits behind the menu's links: unread bulletins, new watchlist notifications,
    access requests to answer, the platform's open referrals. Counting costs a few queries
    (tens of milliseconds on the demo data), so a person's counts are kept for
    ``MENU_COUNTS_TTL`` seconds in this process (see there for when they are counted afresh)."""
    reader = current_reader()
    kept: dict[tuple[int, frozenset[Role]], tuple[float, dict[str, int]]]
    kept = current_app.extensions.setdefault(_KEPT, {})
    now = time.monotonic()
    found = kept.get((reader.user_id, roles))
    if found is not None and found[0] > now and request.endpoint not in _COUNTED_PAGES:
        return found[1]
    counts: dict[str, int] = {}
    if kind != OrgKind.PLATFORM:
        counts["bulletins.inbox"] = inbox.unread_count(reader, cap=MENU_CAP)
        counts["watchlists.notices"] = notifications.unseen_count(reader)
        if Role.LIAISON in roles:
            counts["bulletins.requests"] = access_requests.pending_count(reader)
    elif Role.PLATFORM_LIAISON in roles:
        summary = overview.summary(reader)
        if isinstance(summary, overview.PlatformSummary):
            counts["referrals.queue"] = summary.open
    if len(kept) >= _MOST_COUNTED:
        kept.clear()
    kept[(reader.user_id, roles)] = (now + MENU_COUNTS_TTL, counts)
    return counts


def cached_url(endpoint: str, **values: str) -> str:
    """``url_for`` for URLs that depend only on the endpoint and fixed values (assets, the
    account links): built once per application root."""
    key = ("url", request.script_root, endpoint, *sorted(values.items()))
    cache = _cache()
    found = cache.get(key)
    if found is None:
        # Any, or mypy checks the str values against url_for's own options (_external is a bool).
        arguments: dict[str, Any] = values
        found = cache[key] = url_for(endpoint, **arguments)
    return found  # type: ignore[return-value]
