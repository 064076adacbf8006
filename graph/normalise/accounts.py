"""Canonical keys for online accounts, from profile URLs or handles.

A key is ``account:<platform>:<id>``, where ``<id>`` is the platform's stable
numeric id when the input carries one, or the handle folded the way the
platform folds it (case, and for Facebook dots). Schemes, ``www.``/``m.``
prefixes, trailing slashes, tracking parameters and post/status suffixes are
ignored, so a link to a post still names its author's account.

Namespaces that a platform keeps apart stay apart: a YouTube ``/channel/UC...``
id, an ``/@handle`` and a legacy ``/user/`` name never share a key, and neither
do a Facebook numeric id and a vanity name, since nothing in the text links them.

Examples
--------
>>> account_key("https://m.facebook.com/profile.php?id=100004&ref=bookmarks")
'account:facebook:100004'
>>> account_key("https://twitter.com/Adnani_Media/status/1?s=20")
'account:x:adnani_media'
>>> account_key("@Adnani_Media", platform="telegram")
'account:telegram:adnani_media'
>>> account_key("wa.me/491701234567")
'account:whatsapp:+491701234567'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Final

from graph.normalise.contacts import e164
from graph.normalise.errors import NotNormalisable
from graph.normalise.urls import ParsedUrl, parse_url

__all__ = ["PLATFORM_ALIASES", "account_key", "canonical_platform", "platform_of_url"]

PLATFORM_ALIASES: Final[dict[str, str]] = {
    "twitter": "x",
    "x.com": "x",
    "twitter.com": "x",
    "fb": "facebook",
    "facebook.com": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "instagram.com": "instagram",
    "tg": "telegram",
    "t.me": "telegram",
    "yt": "youtube",
    "youtube.com": "youtube",
    "tiktok.com": "tiktok",
    "wa": "whatsapp",
    "vkontakte": "vk",
    "vk.com": "vk",
}
"""Spellings of platform names that the portal may receive, mapped to ours."""

_HOSTS: Final[dict[str, str]] = {
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "twitter.com": "x",
    "x.com": "x",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "tiktok.com": "tiktok",
    "wa.me": "whatsapp",
    "api.whatsapp.com": "whatsapp",
    "chat.whatsapp.com": "whatsapp",
    "whatsapp.com": "whatsapp",
    "vk.com": "vk",
    "vk.ru": "vk",
    "vkontakte.ru": "vk",
}

# First path segments that are pages of the platform, not accounts.
_RESERVED: Final[dict[str, frozenset[str]]] = {
    "facebook": frozenset(
        {"groups", "pages", "events", "watch", "marketplace", "sharer", "share", "login", "help"}
    ),
    "instagram": frozenset({"p", "reel", "reels", "explore", "stories", "accounts", "tv"}),
    "x": frozenset({"home", "search", "explore", "hashtag", "settings", "share", "login"}),
    "telegram": frozenset({"share", "addstickers", "proxy", "socks", "iv"}),
    "tiktok": frozenset({"tag", "music", "discover", "search", "foryou"}),
    "vk": frozenset({"wall", "video", "audio", "feed", "search", "im", "photo", "away.php"}),
}

_HANDLE: Final[re.Pattern[str]] = re.compile(r"^[\w.\-]+$")


def canonical_platform(platform: str) -> str:
    """Our name for a platform (``"Twitter"`` → ``"x"``), case-folded."""
    folded = platform.strip().casefold()
    return PLATFORM_ALIASES.get(folded, folded)


def platform_of_url(parsed: ParsedUrl) -> str | None:
    """The platform a parsed URL belongs to, or ``None`` for sites we do not know."""
    site = parsed.site
    if site in _HOSTS:
        return _HOSTS[site]
    for host, platform in _HOSTS.items():
        if site.endswith("." + host):
            return platform
    return None


def _handle(text: str) -> str:
    handle = text.strip().lstrip("@").strip()
    if not handle or not _HANDLE.match(handle):
        raise NotNormalisable(f"not a handle: {text!r}")
    return handle


def _facebook(p: ParsedUrl) -> str:
    segments = p.segments
    if segments and segments[0] == "profile.php":
        fb_id = p.param("id")
        if fb_id and fb_id.isdigit():
            return fb_id
        raise NotNormalisable("profile.php without a numeric id")
    if segments[:1] == ["people"] and len(segments) >= 3 and segments[2].isdigit():
        return segments[2]
    if not segments or segments[0] in _RESERVED["facebook"]:
        raise NotNormalisable("not a Facebook profile")
    return _facebook_handle(segments[0])


def _facebook_handle(handle: str) -> str:
    # Facebook ignores dots and case in usernames; numeric ids are kept as they are.
    return _handle(handle).replace(".", "").casefold()


def _simple(platform: str) -> Callable[[ParsedUrl], str]:
    def key(p: ParsedUrl) -> str:
        segments = p.segments
        if platform == "telegram" and segments[:1] == ["s"]:
            segments = segments[1:]
        if platform in ("tiktok",) and segments and not segments[0].startswith("@"):
            raise NotNormalisable("TikTok profile URLs start with /@")
        if not segments or segments[0].casefold() in _RESERVED.get(platform, frozenset()):
            raise NotNormalisable(f"not a {platform} profile")
        if platform == "x" and segments[0] == "i" and segments[1:2] == ["user"]:
            return "id:" + _handle(segments[2] if len(segments) > 2 else "")
        return _handle(segments[0]).casefold()

    return key


def _x(p: ParsedUrl) -> str:
    if p.segments[:2] == ["intent", "user"]:
        user_id = p.param("user_id")
        if user_id and user_id.isdigit():
            return "id:" + user_id
        screen_name = p.param("screen_name")
        if screen_name:
            return _handle(screen_name).casefold()
    return _simple("x")(p)


def _telegram(p: ParsedUrl) -> str:
    segments = p.segments
    if p.scheme == "tg":
        domain = p.param("domain")
        if domain:
            return _handle(domain).casefold()
        raise NotNormalisable("tg:// link without a domain")
    if segments and segments[0] == "joinchat" and len(segments) > 1:
        return "invite:" + _handle(segments[1])
    if segments and segments[0].startswith("+") and not segments[0][1:].isdigit():
        # Invite hashes are case-sensitive; only usernames fold.
        return "invite:" + _handle(segments[0][1:])
    if segments and segments[0].startswith("+"):
        return e164(segments[0])
    return _simple("telegram")(p)


def _youtube(p: ParsedUrl) -> str:
    segments = p.segments
    if not segments:
        raise NotNormalisable("not a YouTube channel")
    head = segments[0]
    if head.startswith("@"):
        return "@" + _handle(head).casefold()
    if head == "channel" and len(segments) > 1:
        return "channel:" + _handle(segments[1])  # channel ids are case-sensitive
    if head in ("user", "c") and len(segments) > 1:
        return f"{head}:" + _handle(segments[1]).casefold()
    raise NotNormalisable("not a YouTube channel, handle or user URL")


def _whatsapp(p: ParsedUrl) -> str:
    if p.site == "chat.whatsapp.com" and p.segments:
        return "invite:" + _handle(p.segments[0])
    number = p.param("phone") if p.segments[:1] == ["send"] else None
    if number is None and p.segments:
        number = p.segments[0]
    if not number:
        raise NotNormalisable("WhatsApp link without a number")
    return e164("+" + number.lstrip("+"))


def _vk(p: ParsedUrl) -> str:
    segments = p.segments
    if segments and re.fullmatch(r"(id|club|public)\d+", segments[0]):
        return segments[0]
    return _simple("vk")(p)


_URL_RULES: Final[dict[str, Callable[[ParsedUrl], str]]] = {
    "facebook": _facebook,
    "instagram": _simple("instagram"),
    "x": _x,
    "youtube": _youtube,
    "telegram": _telegram,
    "tiktok": _simple("tiktok"),
    "whatsapp": _whatsapp,
    "vk": _vk,
}


def _handle_key(platform: str, text: str) -> str:
    if platform == "facebook":
        handle = _handle(text)
        return handle if handle.isdigit() else _facebook_handle(handle)
    if platform == "youtube":
        handle = _handle(text)
        if re.fullmatch(r"UC[\w-]{22}", handle):
            return "channel:" + handle
        return "@" + handle.casefold()
    if platform == "whatsapp":
        return e164(text if text.strip().startswith("+") else "+" + text.strip())
    return _handle(text).casefold()


def _looks_like_url(text: str) -> bool:
    return "/" in text or "://" in text or bool(re.match(r"^[\w-]+(\.[\w-]+)+$", text))


def account_key(text: str, platform: str | None = None) -> str:
    """Canonical key of an online account given as a profile URL or a handle.

    Parameters
    ----------
    text : str
        A URL (with or without scheme), ``@handle``, bare handle or numeric id.
    platform : str, optional
        Platform name (any alias in :data:`PLATFORM_ALIASES`). Required for a
        handle; for a URL the host decides and ``platform`` is ignored.

    Returns
    -------
    str
        ``account:<platform>:<id>``.

    Raises
    ------
    NotNormalisable
        When ``text`` is a handle and no ``platform`` is given, or the URL is a
        page of the platform that names no account (``/explore``, ``/hashtag``).

    Examples
    --------
    >>> account_key("youtube.com/@AdnaniMedia/videos")
    'account:youtube:@adnanimedia'
    >>> account_key("https://vk.com/id12345")
    'account:vk:id12345'
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        raise NotNormalisable("empty account")
    if platform is not None:
        # With a platform named, only a path or scheme makes text a URL ("abu.adnani" is a handle).
        is_handle = text.startswith("@") or not ("/" in text or "://" in text)
    else:
        is_handle = text.startswith("@") or not _looks_like_url(text)
    if is_handle:
        if platform is None:
            raise NotNormalisable(f"handle {text!r} needs a platform")
        name = canonical_platform(platform)
        return f"account:{name}:{_handle_key(name, text)}"
    if text.lower().startswith("tg://"):
        parsed = parse_url("https://t.me/?" + text.split("?", 1)[-1])._replace(scheme="tg")
    else:
        parsed = parse_url(text)
    name_of_site = platform_of_url(parsed)
    if name_of_site is None:
        segments = parsed.segments
        if not segments:
            raise NotNormalisable(f"no account in {text!r}")
        path = "/".join(s.casefold() for s in segments)
        return f"account:{parsed.site}:{path}"
    return f"account:{name_of_site}:{_URL_RULES[name_of_site](parsed)}"
