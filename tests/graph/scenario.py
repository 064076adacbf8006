"""A small recruitment network reported by four organisations, with a DE-only canary.

FR-1   FR   Abu Muhammad al-Adnani uses @adnani_media (Telegram), member of Amaq;
            Karim Benali contacted him and recruited Yassine, who travelled
            Paris → Istanbul → Raqqa; Karim's phone 06 12 34 56 78.
DE-1   DE   أبو محمد العدناني uses t.me/Adnani_Media; the canary person uses the
            canary account and e-mail, and financed al-Adnani.
UK-1   UK   Abou Mohamed Al Adnani uses x.com/adnani_media; Karim Benali (as
            "K. Benali") uses +33 6 12 34 56 78.
US-1   US   An unrelated pair in contact.
"""

from __future__ import annotations

from datetime import date

from graph.model import Bulletin, Entity, Provenance, Relation, TravelEvent

CANARY_HANDLE = "canary_only_de"
CANARY_ACCOUNT = f"account:telegram:{CANARY_HANDLE}"
CANARY_EMAIL = "email:canary.de@example.org"
CANARY_NAME = "Kanarienvogel Nurdeutsch"
CANARY_STRINGS = (CANARY_HANDLE, "canary.de@example.org", CANARY_NAME, "Kanarienvogel", "DE-1")

FR_1 = Bulletin(
    Provenance("FR-1", "FR", date(2025, 1, 10), "TLP:AMBER"),
    (
        Entity("adnani", "person", name="Abu Muhammad al-Adnani", nationality="SY"),
        Entity("tg", "account", platform="telegram", handle="@adnani_media"),
        Entity("amaq", "group", name="Amaq"),
        Entity("karim", "person", name="Karim Benali", date_of_birth=date(1990, 4, 2)),
        Entity("yassine", "person", name="Yassine"),
        Entity("phone", "phone", value="06 12 34 56 78"),
        Entity("paris", "location", name="Paris"),
        Entity("istanbul", "location", name="Istanbul"),
        Entity("raqqa", "location", name="Raqqa"),
    ),
    (
        Relation("uses_account", "adnani", "tg"),
        Relation("member_of", "adnani", "amaq", date(2024, 6, 1)),
        Relation("contacted", "karim", "adnani", date(2024, 9, 14)),
        Relation("recruited", "karim", "yassine", date(2024, 10, 3)),
        Relation("uses_account", "karim", "phone"),
    ),
    (TravelEvent("yassine", "raqqa", origin="paris", via=("istanbul",), on=date(2024, 12, 1)),),
)

DE_1 = Bulletin(
    Provenance("DE-1", "DE", date(2025, 2, 1), "TLP:RED"),
    (
        Entity("adnani", "person", name="أبو محمد العدناني", aliases=("Taha Falaha",)),
        Entity("tg", "account", url="https://t.me/Adnani_Media"),
        Entity("canary", "person", name=CANARY_NAME),
        Entity("canary_tg", "account", url=f"https://t.me/{CANARY_HANDLE}"),
        Entity("canary_mail", "email", value="Canary.DE@example.org"),
    ),
    (
        Relation("uses_account", "adnani", "tg", date(2025, 1, 20)),
        Relation("uses_account", "canary", "canary_tg"),
        Relation("uses_account", "canary", "canary_mail"),
        Relation("financed", "canary", "adnani", date(2025, 1, 25)),
    ),
)

UK_1 = Bulletin(
    Provenance("UK-1", "UK", date(2025, 2, 15), "TLP:GREEN"),
    (
        Entity("adnani", "person", name="Abou Mohamed Al Adnani"),
        Entity("x", "account", url="https://x.com/adnani_media"),
        Entity("karim", "person", name="K. Benali", date_of_birth=date(1990, 4, 2)),
        Entity("phone", "phone", value="+33 6 12 34 56 78"),
    ),
    (
        Relation("uses_account", "adnani", "x"),
        Relation("uses_account", "karim", "phone", date(2025, 2, 1)),
        Relation("contacted", "karim", "adnani", date(2025, 2, 3)),
    ),
)

US_1 = Bulletin(
    Provenance("US-1", "US", date(2025, 3, 1), "TLP:CLEAR"),
    (
        Entity("a", "person", name="John Doe"),
        Entity("b", "person", name="Richard Roe"),
    ),
    (Relation("contacted", "a", "b", date(2025, 2, 20)),),
)

ALL = (FR_1, DE_1, UK_1, US_1)

# Which bulletins each organisation can read: its own, plus what was released to it.
READABLE = {
    "DE": {"DE-1", "FR-1"},
    "FR": {"FR-1", "UK-1"},
    "UK": {"UK-1", "FR-1", "US-1"},
    "US": {"US-1", "UK-1"},
    "JP": {"US-1"},
    "IT": set(),
}
