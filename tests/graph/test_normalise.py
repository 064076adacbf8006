"""Normalisation table: spellings that must share a key, and ones that must not."""
# ruff: noqa: RUF001 — the table is about look-alike letters in other scripts.

from __future__ import annotations

import pytest

from graph.model import Entity
from graph.normalise import (
    NotNormalisable,
    account_key,
    email_key,
    entity_key,
    fold_name,
    label_key,
    name_key,
    name_similarity,
    phone_key,
    romanise,
    url_key,
)

ACCOUNTS: list[tuple[str, str | None, str]] = [
    # Facebook: numeric ids from profile.php, vanity names without dots or case.
    ("https://www.facebook.com/profile.php?id=100004123456789", None, "facebook:100004123456789"),
    (
        "m.facebook.com/profile.php?id=100004123456789&ref=bookmarks",
        None,
        "facebook:100004123456789",
    ),
    ("https://facebook.com/profile.php?id=100004123456789#posts", None, "facebook:100004123456789"),
    (
        "https://www.facebook.com/people/Abu-Adnani/100004123456789/",
        None,
        "facebook:100004123456789",
    ),
    ("https://www.facebook.com/Abu.Adnani", None, "facebook:abuadnani"),
    ("http://m.facebook.com/abuadnani/?fbclid=IwAR0xyz", None, "facebook:abuadnani"),
    ("https://web.facebook.com/ABU.ADNANI/posts/123", None, "facebook:abuadnani"),
    ("fb.com/abu.adnani", None, "facebook:abuadnani"),
    ("abu.adnani", "facebook", "facebook:abuadnani"),
    ("100004123456789", "fb", "facebook:100004123456789"),
    # Instagram: case-folded handles; dots are significant there.
    ("https://www.instagram.com/adnani.media/", None, "instagram:adnani.media"),
    ("instagram.com/Adnani.Media?igshid=abc123", None, "instagram:adnani.media"),
    ("https://instagram.com/adnani.media/reels/", None, "instagram:adnani.media"),
    ("@Adnani.Media", "instagram", "instagram:adnani.media"),
    ("adnani.media", "ig", "instagram:adnani.media"),
    # X / Twitter.
    ("https://twitter.com/Adnani_Media", None, "x:adnani_media"),
    ("https://x.com/adnani_media/status/1790000000000000000?s=20&t=abc", None, "x:adnani_media"),
    ("mobile.twitter.com/ADNANI_MEDIA/", None, "x:adnani_media"),
    ("http://www.twitter.com/adnani_media#", None, "x:adnani_media"),
    ("@adnani_media", "twitter", "x:adnani_media"),
    ("@ADNANI_MEDIA", "X", "x:adnani_media"),
    ("https://twitter.com/intent/user?user_id=783214", None, "x:id:783214"),
    ("https://x.com/i/user/783214", None, "x:id:783214"),
    # YouTube: channel ids (case-sensitive), handles, legacy user and custom URLs.
    (
        "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv",
        None,
        "youtube:channel:UCabcdefghijklmnopqrstuv",
    ),
    (
        "youtube.com/channel/UCabcdefghijklmnopqrstuv/videos?si=xyz",
        None,
        "youtube:channel:UCabcdefghijklmnopqrstuv",
    ),
    ("UCabcdefghijklmnopqrstuv", "youtube", "youtube:channel:UCabcdefghijklmnopqrstuv"),
    ("https://www.youtube.com/@AdnaniMedia", None, "youtube:@adnanimedia"),
    ("https://m.youtube.com/@adnanimedia/featured", None, "youtube:@adnanimedia"),
    ("@AdnaniMedia", "youtube", "youtube:@adnanimedia"),
    ("https://www.youtube.com/user/AdnaniMedia", None, "youtube:user:adnanimedia"),
    ("https://www.youtube.com/c/AdnaniMedia/about", None, "youtube:c:adnanimedia"),
    # Telegram: t.me, telegram.me, previews, @, tg:// links, invite hashes.
    ("https://t.me/Adnani_Media", None, "telegram:adnani_media"),
    ("t.me/s/adnani_media", None, "telegram:adnani_media"),
    ("https://t.me/adnani_media/1234", None, "telegram:adnani_media"),
    ("https://telegram.me/adnani_media", None, "telegram:adnani_media"),
    ("telegram.dog/ADNANI_MEDIA", None, "telegram:adnani_media"),
    ("@adnani_media", "telegram", "telegram:adnani_media"),
    ("@Adnani_Media", "tg", "telegram:adnani_media"),
    ("tg://resolve?domain=Adnani_Media", None, "telegram:adnani_media"),
    ("https://t.me/joinchat/AAAAAEkXbXyZ", None, "telegram:invite:AAAAAEkXbXyZ"),
    ("https://t.me/+AAAAAEkXbXyZ", None, "telegram:invite:AAAAAEkXbXyZ"),
    # TikTok.
    ("https://www.tiktok.com/@adnani.media", None, "tiktok:adnani.media"),
    (
        "tiktok.com/@Adnani.Media/video/7300000000000000000?is_from_webapp=1",
        None,
        "tiktok:adnani.media",
    ),
    ("@Adnani.Media", "tiktok", "tiktok:adnani.media"),
    # WhatsApp: a wa.me link is a phone number.
    ("https://wa.me/491701234567", None, "whatsapp:+491701234567"),
    ("wa.me/+491701234567?text=hi", None, "whatsapp:+491701234567"),
    ("https://api.whatsapp.com/send?phone=491701234567", None, "whatsapp:+491701234567"),
    ("+49 170 1234567", "whatsapp", "whatsapp:+491701234567"),
    ("https://chat.whatsapp.com/KxYz123AbC", None, "whatsapp:invite:KxYz123AbC"),
    # VK.
    ("https://vk.com/id12345", None, "vk:id12345"),
    ("https://m.vk.com/Adnani_Media", None, "vk:adnani_media"),
    ("vk.ru/adnani_media", None, "vk:adnani_media"),
    ("https://vk.com/club777", None, "vk:club777"),
    ("adnani_media", "vkontakte", "vk:adnani_media"),
    # Other platforms: host without www/m, folded path.
    ("https://www.reddit.com/user/AdnaniMedia/", None, "reddit.com:user/adnanimedia"),
    ("https://rumble.com/c/AdnaniMedia?utm_source=tg", None, "rumble.com:c/adnanimedia"),
    ("AdnaniMedia", "Rumble", "rumble:adnanimedia"),
]


@pytest.mark.parametrize(("text", "platform", "expected"), ACCOUNTS)
def test_account_key(text: str, platform: str | None, expected: str) -> None:
    assert account_key(text, platform) == f"account:{expected}"


ACCOUNTS_APART: list[tuple[tuple[str, str | None], tuple[str, str | None]]] = [
    (("https://www.youtube.com/@adnani", None), ("https://www.youtube.com/user/adnani", None)),
    (("https://t.me/+AAAAAEkXbXyZ", None), ("https://t.me/+aaaaaekxbxyz", None)),
    (
        ("https://www.instagram.com/adnani.media", None),
        ("https://www.instagram.com/adnanimedia", None),
    ),
    (("@adnani_media", "telegram"), ("@adnani_media", "x")),
    (
        ("https://www.facebook.com/profile.php?id=1000", None),
        ("https://www.facebook.com/profile.php?id=1001", None),
    ),
    (("https://x.com/adnani_media", None), ("https://x.com/adnani_media2", None)),
    (
        ("https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv", None),
        ("https://www.youtube.com/channel/UCABCDEFGHIJKLMNOPQRSTUV", None),
    ),
    (("https://vk.com/id12345", None), ("https://vk.com/id123456", None)),
]


@pytest.mark.parametrize(("left", "right"), ACCOUNTS_APART)
def test_accounts_that_must_not_match(
    left: tuple[str, str | None], right: tuple[str, str | None]
) -> None:
    assert account_key(*left) != account_key(*right)


NOT_ACCOUNTS: list[tuple[str, str | None]] = [
    ("@adnani_media", None),
    ("adnani_media", None),
    ("https://www.facebook.com/profile.php", None),
    ("https://twitter.com/hashtag/syria", None),
    ("https://www.instagram.com/explore/", None),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
    ("https://www.tiktok.com/tag/jihad", None),
    ("https://example.org/", None),
    ("", "telegram"),
    ("two words", "telegram"),
]


@pytest.mark.parametrize(("text", "platform"), NOT_ACCOUNTS)
def test_not_an_account(text: str, platform: str | None) -> None:
    with pytest.raises(NotNormalisable):
        account_key(text, platform)


PHONES: list[tuple[str, str | None, str]] = [
    ("+49 170 1234567", None, "+491701234567"),
    ("0049 170 1234567", None, "+491701234567"),
    ("0170-123 45 67", "DE", "+491701234567"),
    ("(0170) 1234567", "DE", "+491701234567"),
    ("tel:+49-170-1234567", None, "+491701234567"),
    ("+33 6 12 34 56 78", None, "+33612345678"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("+1 (202) 555-0143", None, "+12025550143"),
    ("202.555.0143", "US", "+12025550143"),
    ("+44 20 7946 0958", None, "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+81 3-1234-5678", None, "+81312345678"),
    ("03-1234-5678", "JP", "+81312345678"),
    ("+90 532 123 45 67", None, "+905321234567"),
    ("+963 944 123 456", None, "+963944123456"),
    ("٠٠٩٦٣٩٤٤١٢٣٤٥٦", None, "+963944123456"),
    ("+٩٦٣ ٩٤٤ ١٢٣ ٤٥٦", None, "+963944123456"),
    ("+39 06 1234 5678", None, "+390612345678"),
    ("＋４９ １７０ １２３４５６７", None, "+491701234567"),
]


@pytest.mark.parametrize(("text", "region", "expected"), PHONES)
def test_phone_key(text: str, region: str | None, expected: str) -> None:
    assert phone_key(text, region) == f"phone:{expected}"


@pytest.mark.parametrize(
    ("text", "region"),
    [("0170 1234567", None), ("not a number", "DE"), ("+49 1", None), ("", "FR")],
)
def test_not_a_phone(text: str, region: str | None) -> None:
    with pytest.raises(NotNormalisable):
        phone_key(text, region)


def test_default_region_decides_national_numbers() -> None:
    assert phone_key("06 12 34 56 78", "FR") != phone_key("06 12 34 56 78", "DE")


EMAILS: list[tuple[str, str]] = [
    ("abu.adnani@example.org", "abu.adnani@example.org"),
    ("Abu.Adnani@Example.ORG", "abu.adnani@example.org"),
    ("  abu.adnani@example.org  ", "abu.adnani@example.org"),
    ("mailto:abu.adnani@example.org", "abu.adnani@example.org"),
    ("abu.adnani@example.org.", "abu.adnani@example.org"),
    ("abu@bücher.example", "abu@xn--bcher-kva.example"),
    ("abu@BÜCHER.example", "abu@xn--bcher-kva.example"),
    ("abu@xn--bcher-kva.example", "abu@xn--bcher-kva.example"),
    ("abu@مثال.إختبار", "abu@xn--mgbh0fb.xn--kgbechtv"),
    ("ＡＢＵ@example.org", "abu@example.org"),
]


@pytest.mark.parametrize(("text", "expected"), EMAILS)
def test_email_key(text: str, expected: str) -> None:
    assert email_key(text) == f"email:{expected}"


@pytest.mark.parametrize(
    "text", ["abu.example.org", "@example.org", "abu@", "abu@localhost", "a b@example.org"]
)
def test_not_an_email(text: str) -> None:
    with pytest.raises(NotNormalisable):
        email_key(text)


def test_email_addresses_that_must_not_match() -> None:
    assert email_key("abu.adnani@example.org") != email_key("abuadnani@example.org")
    assert email_key("abu+x@example.org") != email_key("abu@example.org")


URLS: list[tuple[str, str]] = [
    ("https://example.org/manual.pdf", "https://example.org/manual.pdf"),
    ("HTTP://EXAMPLE.ORG/manual.pdf", "https://example.org/manual.pdf"),
    ("http://www.example.org:80/manual.pdf", "https://example.org/manual.pdf"),
    ("https://example.org:443/manual.pdf#page=3", "https://example.org/manual.pdf"),
    ("example.org/manual.pdf", "https://example.org/manual.pdf"),
    ("//example.org/manual.pdf", "https://example.org/manual.pdf"),
    ("https://example.org/files/", "https://example.org/files"),
    ("https://example.org", "https://example.org/"),
    ("https://example.org/?b=2&a=1", "https://example.org/?a=1&b=2"),
    ("https://example.org/a?utm_source=tg&utm_medium=x&id=7", "https://example.org/a?id=7"),
    ("https://example.org/a?fbclid=IwAR0&gclid=1", "https://example.org/a"),
    ("https://example.org/%7euser/", "https://example.org/~user"),
    ("https://example.org/a%2fb", "https://example.org/a/b"),
    ("https://example.org/مقال", "https://example.org/%D9%85%D9%82%D8%A7%D9%84"),
    ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
    ("https://example.org:8080/x", "https://example.org:8080/x"),
    ("https://Example.org/Case/Sensitive", "https://example.org/Case/Sensitive"),
    ("ftp://files.example.org/a.zip", "ftp://files.example.org/a.zip"),
]


@pytest.mark.parametrize(("text", "expected"), URLS)
def test_url_key(text: str, expected: str) -> None:
    assert url_key(text) == f"url:{expected}"


@pytest.mark.parametrize("text", ["", "not a url", "https://", "https://example.org:port/"])
def test_not_a_url(text: str) -> None:
    with pytest.raises(NotNormalisable):
        url_key(text)


def test_urls_that_must_not_match() -> None:
    assert url_key("https://example.org/a?id=7") != url_key("https://example.org/a?id=8")
    assert url_key("https://example.org/Path") != url_key("https://example.org/path")
    assert url_key("https://example.org:8080/") != url_key("https://example.org/")


# Names written differently that must be candidates for the same person (equal keys).
SAME_PERSON: list[tuple[str, str]] = [
    ("أبو محمد العدناني", "Abu Muhammad al-Adnani"),
    ("Abu Muhammad al-Adnani", "Abou Mohamed Al Adnani"),
    ("أبو محمد العدناني", "Abou Mohamed Al Adnani"),
    ("أَبُو مُحَمَّد العَدْنَانِيّ", "Abu Muhammad al-Adnani"),
    ("أبـــو محمد العدناني", "abu muhammad al adnani"),
    ("Абу Мухаммад аль-Аднани", "Abu Muhammad al-Adnani"),
    ("ABU MUHAMMAD AL-ADNANI", "Muhammad al-Adnani, Abu"),
    ("أبو بكر البغدادي", "Abu Bakr al-Baghdadi"),
    ("Abou Bakr el-Baghdadi", "Abu Bakr al-Baghdadi"),
    ("أسامة بن لادن", "Osama bin Laden"),
    ("Oussama Ben Laden", "Usamah bin Ladin"),
    ("Усама бен Ладен", "Osama bin Laden"),
    ("عبد الرحمن", "Abdul Rahman"),
    ("Abdelrahman", "Abd al-Rahman"),
    ("عبدالله", "Abdullah"),
    ("Abdallah", "Abdullah"),
    ("أنور العولقي", "Anwar al-Awlaki"),
    ("Khalid", "Halid"),
    ("خالد", "Khaled"),
    ("وليد", "Walid"),
    ("مروان", "Marwan"),
    ("أحمد", "Ahmed"),
    ("Ahmad", "Ahmed"),
    ("Qasim", "Kasim"),
    ("Джамал", "Djamel"),
    ("Владимир Путин", "Wladimir Putin"),
    ("Vladimir Putin", "Владимир Путин"),
    ("Дмитрий", "Dmitry"),
    ("Евгений", "Yevgeny"),
    ("Сергей Лавров", "Sergei Lavrov"),
    ("山田太郎", "Taro Yamada"),
    ("山田 太郎", "Yamada Tarō"),
    ("やまだ たろう", "Yamada Taro"),
    ("ヤマダ タロウ", "YAMADA Tarou"),
    ("佐藤健一", "Kenichi Sato"),
    ("Ｙａｍａｄａ", "Yamada"),
]


@pytest.mark.parametrize(("left", "right"), SAME_PERSON)
def test_names_that_must_be_candidates(left: str, right: str) -> None:
    assert name_key(left) == name_key(right)
    short = len(name_key(left).replace(" ", "")) < 3
    assert name_similarity(left, right) == (0.6 if short else 1.0)


# Names that are close in one respect but belong to different people.
DIFFERENT_PEOPLE: list[tuple[str, str]] = [
    ("Abu Muhammad al-Adnani", "Abu Bakr al-Baghdadi"),
    ("Abu Muhammad al-Adnani", "Abu Muhammad al-Julani"),
    ("أبو محمد العدناني", "أبو محمد الجولاني"),
    ("Abu Muhammad al-Adnani", "Muhammad Emwazi"),
    ("Osama bin Laden", "Hamza bin Laden"),
    ("Abdul Rahman", "Abdullah"),
    ("Ahmed", "Mahmoud"),
    ("Владимир Путин", "Владимир Зеленский"),
    ("Сергей Лавров", "Sergei Shoigu"),
    ("山田太郎", "山本太郎"),
    ("Taro Yamada", "Ichiro Suzuki"),
    ("Anwar al-Awlaki", "Abu Musab al-Zarqawi"),
    ("Ali", "Ola"),
]


@pytest.mark.parametrize(("left", "right"), DIFFERENT_PEOPLE)
def test_names_that_must_not_be_candidates(left: str, right: str) -> None:
    assert name_key(left) != name_key(right)
    assert name_similarity(left, right) < 0.85


def test_katakana_rendering_of_an_arabic_name_is_a_strong_candidate() -> None:
    assert name_similarity("アブ・ムハンマド・アドナニ", "Abu Muhammad al-Adnani") >= 0.85


def test_short_names_are_weak_evidence() -> None:
    assert name_similarity("Ali", "علي") == 0.6


def test_fold_name_keeps_the_script() -> None:
    assert fold_name("أَبُو مُحَمَّد العَدْنانـي") == "ابو محمد العدناني"
    assert fold_name("مدرسة") == "مدرسه"
    assert fold_name("مصطفى") == "مصطفي"
    assert fold_name("Müller") == "müller"


def test_romanise_each_script() -> None:
    assert romanise("Абу Мухаммад") == "abu mukhammad"
    assert romanise("أبو محمد") == "abu mhmd"
    assert romanise("山田") == "yamada"
    assert romanise("Tarō") == "taro"


def test_groups_and_locations_merge_only_on_equal_romanised_names() -> None:
    assert label_key("group", "Ansar al-Sharia") == label_key("group", "ANSAR AL SHARIA")
    assert label_key("group", "ISIS") != label_key("group", "Islamic State")
    assert label_key("location", "Raqqa") == "location:raqqa"
    with pytest.raises(NotNormalisable):
        label_key("location", "  ")


def test_entity_key_dispatches_on_type() -> None:
    assert entity_key(Entity("a", "account", handle="@x_y_z", platform="telegram")) == (
        "account:telegram:x_y_z"
    )
    assert entity_key(Entity("a", "account", url="t.me/x_y_z", handle="ignored")) == (
        "account:telegram:x_y_z"
    )
    assert entity_key(Entity("e", "email", value="A@B.example")) == "email:a@b.example"
    assert entity_key(Entity("u", "url", url="http://b.example/")) == "url:https://b.example/"
    assert entity_key(Entity("g", "group", name="Amaq")) == "group:amaq"
    assert entity_key(Entity("p", "person", name="Amaq")) is None
    # The portal's bulletin content keeps an entity's main text in ``value``.
    assert (
        entity_key(Entity("a", "account", value="https://t.me/x_y_z")) == "account:telegram:x_y_z"
    )
    assert entity_key(Entity("a", "account", value="@x_y_z", platform="x")) == "account:x:x_y_z"
    assert entity_key(Entity("l", "location", value="Raqqa")) == "location:raqqa"
    assert Entity("p", "person", value="Abu Bakr", aliases=("Ibrahim",)).all_names == (
        "Abu Bakr",
        "Ibrahim",
    )
    with pytest.raises(NotNormalisable):
        entity_key(Entity("a", "account"))
    with pytest.raises(NotNormalisable):
        entity_key(Entity("p", "phone"))
