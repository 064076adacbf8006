"""Synthetic people and identifiers for the demo bulletins: nobody and nothing real.

Family names are built from syllables, so no demo name is a real person's; given names come
from pools of common ones. Each name is written the way each ministry would write it: an
Arabic name in Arabic script and in English, French, German and Italian transliterations
("يوسف الحنابي", "Yusuf al-Hanabi", "Youssef Al Hanabi", "Jussuf al-Hanabi"); a Cyrillic one
by each language's transliteration table; a Japanese one in kanji and with or without long
vowels marked. Phone numbers are in ranges reserved for drama and fiction, e-mail addresses
and web sites under the reserved ``.example`` domain, handles made of ordinary words.
"""

# ruff: noqa: RUF001 — Arabic, Cyrillic and Japanese letters are the subject here.

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

LANGUAGES = ("en", "fr", "de", "it")

# Stems of well-known real names: a generated family name containing one is drawn again.
_AVOID = ("adnan", "baghdad", "zarqaw", "maqdis", "awlak", "zawahir", "ladin", "laden",
          "jolani", "julani", "masri", "kadyr", "basay", "dudaye", "umarov", "maskhad")  # fmt: skip


@dataclass(frozen=True)
class PersonName:
    """One person's name in its own script and as each language writes it."""

    script: str  # arabic | latin | cyrillic | japanese
    native: str
    spellings: dict[str, str]  # language -> Latin spelling
    others: tuple[str, ...] = ()  # more Latin spellings seen in reporting
    kunya: PersonName | None = None  # an alias such as "Abu Hamza al-Hanabi"

    def written_in(self, language: str) -> str:
        return self.spellings.get(language, self.spellings["en"])

    @property
    def variants(self) -> tuple[str, ...]:
        """Every distinct way of writing the name, native first."""
        names = [self.native, *self.spellings.values(), *self.others]
        return tuple(dict.fromkeys(names))


# --- Arabic: given names from a pool, family names (nisbas) from syllables ---------------
# (Arabic, English, French, German, Italian, other English spellings)
_ARABIC_GIVEN = (
    ("محمد", "Muhammad", "Mohamed", "Mohammed", "Mohammed", "Mohammad"),
    ("أحمد", "Ahmad", "Ahmed", "Ahmed", "Ahmad", ""),
    ("عمر", "Umar", "Omar", "Omar", "Omar", "Omer"),
    ("يوسف", "Yusuf", "Youssef", "Jussuf", "Yusuf", "Yousef"),
    ("خالد", "Khalid", "Khaled", "Chalid", "Khalid", ""),
    ("إبراهيم", "Ibrahim", "Brahim", "Ibrahim", "Ibrahim", "Ebrahim"),
    ("عبد الله", "Abdullah", "Abdallah", "Abdullah", "Abdallah", "Abdulla"),
    ("حمزة", "Hamza", "Hamza", "Hamsa", "Hamza", "Hamzah"),
    ("طارق", "Tariq", "Tarek", "Tarik", "Tareq", ""),
    ("بلال", "Bilal", "Bilel", "Bilal", "Bilal", ""),
    ("سفيان", "Sufyan", "Soufiane", "Sufjan", "Sufyan", "Sofian"),
    ("مصطفى", "Mustafa", "Moustapha", "Mustafa", "Mustafa", "Mostafa"),
    ("زكريا", "Zakariya", "Zakaria", "Sakarija", "Zaccaria", ""),
    ("حسن", "Hasan", "Hassan", "Hassan", "Hassan", ""),
    ("إلياس", "Ilyas", "Ilyes", "Iljas", "Ilias", ""),
    ("ياسين", "Yasin", "Yassine", "Jassin", "Yassin", "Yaseen"),
    ("رضوان", "Ridwan", "Redouane", "Ridwan", "Ridwan", "Redwan"),
    ("سليمان", "Sulayman", "Souleymane", "Suleiman", "Sulaiman", ""),
    ("عثمان", "Uthman", "Othmane", "Osman", "Othman", "Usman"),
    ("أنس", "Anas", "Anass", "Anas", "Anas", ""),
)
_ARABIC_GIVEN_FEMALE = (
    ("مريم", "Maryam", "Meryem", "Marjam", "Maryam", "Mariam"),
    ("عائشة", "Aisha", "Aïcha", "Aischa", "Aisha", "Ayesha"),
    ("خديجة", "Khadija", "Khadidja", "Chadidscha", "Khadija", ""),
    ("سمية", "Sumayya", "Soumaya", "Sumaja", "Sumaya", ""),
    ("فاطمة", "Fatima", "Fatma", "Fatima", "Fatima", "Fatimah"),
)
# Consonants: (Arabic letter, English, French, German, Italian).
_CONSONANTS = {
    "b": ("ب", "b", "b", "b", "b"), "t": ("ت", "t", "t", "t", "t"),
    "j": ("ج", "j", "dj", "dsch", "j"), "h": ("ح", "h", "h", "h", "h"),
    "kh": ("خ", "kh", "kh", "ch", "kh"), "d": ("د", "d", "d", "d", "d"),
    "r": ("ر", "r", "r", "r", "r"), "z": ("ز", "z", "z", "s", "z"),
    "s": ("س", "s", "s", "s", "s"), "sh": ("ش", "sh", "ch", "sch", "sh"),
    "f": ("ف", "f", "f", "f", "f"), "q": ("ق", "q", "k", "k", "q"),
    "k": ("ك", "k", "k", "k", "k"), "l": ("ل", "l", "l", "l", "l"),
    "m": ("م", "m", "m", "m", "m"), "n": ("ن", "n", "n", "n", "n"),
    "gh": ("غ", "gh", "gh", "gh", "gh"), "w": ("و", "w", "w", "w", "w"),
}  # fmt: skip
# Vowels: (Arabic letter or "" for a short vowel, English, French, German, Italian).
_SHORT = {"a": ("", "a", "a", "a", "a"), "i": ("", "i", "i", "i", "i"),
          "u": ("", "u", "ou", "u", "u")}  # fmt: skip
_LONG = {"aa": ("ا", "a", "a", "a", "a"), "ii": ("ي", "i", "i", "i", "i"),
         "uu": ("و", "u", "ou", "u", "u")}  # fmt: skip
_NISBA = ("ي", "i", "i", "i", "i")


def _render(parts: list[tuple[str, str, str, str, str]]) -> tuple[str, ...]:
    return tuple("".join(p[i] for p in parts) for i in range(5))


def _nisba(rng: random.Random) -> tuple[str, ...]:
    """A family name such as al-Hanabi: CaCaaCi or CaCCaaCi, with al- in front."""
    while True:
        letters = list(_CONSONANTS)
        c = [_CONSONANTS[rng.choice(letters)] for _ in range(4)]
        short = _SHORT[rng.choice("aaiu")]
        long_ = _LONG[rng.choice(["aa", "aa", "ii", "uu"])]
        if rng.random() < 0.6:
            parts = [c[0], short, c[1], long_, c[2], _NISBA]
        else:
            parts = [c[0], short, c[1], c[2], long_, c[3], _NISBA]
        arabic, *latin = _render(parts)
        if latin[0][:1] in "wy" or any(stem in latin[0] for stem in _AVOID):
            continue
        return ("ال" + arabic, *(word.capitalize() for word in latin))


def _arabic_name(given: tuple[str, ...], family: tuple[str, ...]) -> PersonName:
    native = f"{given[0]} {family[0]}"
    en, fr, de, it = (f"{given[i]} {{}}{family[i]}" for i in range(1, 5))
    spellings = {
        "en": en.format("al-"),
        "fr": fr.format("Al "),
        "de": de.format("al-"),
        "it": it.format("al-"),
    }
    others = [en.format("Al "), en.format("el-")]
    if given[5]:
        others.append(f"{given[5]} al-{family[1]}")
    return PersonName("arabic", native, spellings, tuple(others))


def _kunya(given: tuple[str, ...], family: tuple[str, ...], female: bool) -> PersonName:
    words = ("أم", "Umm", "Oum", "Umm", "Umm") if female else ("أبو", "Abu", "Abou", "Abu", "Abu")
    other = f"{words[1]} {given[5]}" if given[5] else ""
    prefixed = (*(f"{words[i]} {given[i]}" for i in range(5)), other)
    return _arabic_name(prefixed, family)


def arabic_person(rng: random.Random, *, female: bool = False) -> PersonName:
    pool = _ARABIC_GIVEN_FEMALE if female else _ARABIC_GIVEN
    given, kunya_of = rng.choice(pool), rng.choice(_ARABIC_GIVEN)
    family = _nisba(rng)
    name = _arabic_name(given, family)
    return PersonName(name.script, name.native, name.spellings, name.others,
                      _kunya(kunya_of, family, female))  # fmt: skip


def group_alias(rng: random.Random) -> PersonName:
    """The name a network calls itself: "Katibat al-..." in Arabic and transliterations."""
    family = _nisba(rng)
    spellings = dict(zip(LANGUAGES, family[1:], strict=True))
    spellings = {
        lang: f"Katibat {'Al ' if lang == 'fr' else 'al-'}{f}" for lang, f in spellings.items()
    }
    return PersonName("arabic", f"كتيبة {family[0]}", spellings)


# --- Latin: European given names, family names from syllables --------------------------
_LATIN = {
    "fr": (("Julien", "Maxime", "Kévin", "Théo", "Yanis", "Lucas", "Nicolas", "Léa", "Sarah"),
           ("Mar", "Bel", "Vall", "Roch", "Four", "Lan", "Brun", "Mor", "Cour", "Gir"),
           ("et", "in", "ier", "ard", "eau", "on", "ault", "elle")),
    "de": (("Lukas", "Jonas", "Dennis", "Marcel", "Florian", "Sven", "Tobias", "Lena", "Jana"),
           ("Brand", "Haber", "Lind", "Stein", "Kessel", "Oster", "Holz", "Feld", "Wend"),
           ("mann", "ner", "er", "berger", "hauser", "meier", "inger")),
    "it": (("Marco", "Luca", "Davide", "Simone", "Alessio", "Matteo", "Fabio", "Giulia", "Chiara"),
           ("Ferr", "Bell", "Marin", "Cast", "Russ", "Gall", "Sant", "Vital", "Mont"),
           ("ini", "etti", "ucci", "oni", "elli", "ato", "ese")),
    "en": (("Ryan", "Jamie", "Connor", "Liam", "Jordan", "Aaron", "Callum", "Chloe", "Zara"),
           ("Ash", "Brad", "Carr", "Hol", "Whit", "Fair", "Thorn", "Pen", "Har"),
           ("ford", "ley", "well", "wick", "ton", "by", "field", "ridge")),
}  # fmt: skip
_FEMALE_LATIN = frozenset({"Léa", "Sarah", "Lena", "Jana", "Giulia", "Chiara", "Chloe", "Zara"})


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def latin_person(rng: random.Random, language: str) -> PersonName:
    """A European convert or traveller: a name, and often a kunya taken on later."""
    firsts, roots, endings = _LATIN[language]
    given = rng.choice(firsts)
    while True:
        family = rng.choice(roots) + rng.choice(endings)
        if not any(stem in family.lower() for stem in _AVOID):
            break
    native = f"{given} {family}"
    spellings = {lang: native for lang in LANGUAGES}
    spellings["fr"] = f"{given} {family.upper()}"  # French files write family names in capitals
    others = (f"{_plain(given)} {family}", f"{family.upper()} {given}")
    kunya = None
    if rng.random() < 0.6:
        kunya = _kunya(rng.choice(_ARABIC_GIVEN), _nisba(rng), given in _FEMALE_LATIN)
    return PersonName("latin", native, spellings, others, kunya)


# --- Cyrillic: given names from a pool, family names from syllables ---------------------
_CYRILLIC_GIVEN = ("Магомед", "Руслан", "Ислам", "Тимур", "Асланбек", "Шамиль", "Ибрагим",
                   "Муса", "Адам", "Зелимхан", "Умар", "Мадина", "Зарема", "Амина")  # fmt: skip
_CYRILLIC_FEMALE = frozenset({"Мадина", "Зарема", "Амина"})
_CYRILLIC_ROOT = (("ха", "са", "да", "ма", "ба", "ту", "га", "зу", "ки", "ра", "ли", "жа"),
                  ("с", "д", "р", "л", "м", "н", "г", "х", "ш", "т"),
                  ("ов", "ев", "аев", "иев", "ханов", "беков", "алиев"))  # fmt: skip
_TABLE_EN = dict(zip("абвгдезийклмнопрстуфхцчшыэюя",
                     ["a", "b", "v", "g", "d", "e", "z", "i", "y", "k", "l", "m", "n", "o", "p",
                      "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "y", "e", "yu", "ya"],
                     strict=True))  # fmt: skip
_TABLE = {
    "en": {**_TABLE_EN, "ж": "zh", "ь": ""},
    "fr": {**_TABLE_EN, "ж": "j", "у": "ou", "ч": "tch", "ш": "ch", "ю": "iou", "я": "ia",
           "й": "ï", "ь": ""},
    "de": {**_TABLE_EN, "в": "w", "ж": "sch", "з": "s", "х": "ch", "ц": "z", "ч": "tsch",
           "ш": "sch", "й": "j", "ю": "ju", "я": "ja", "ь": ""},
    "it": {**_TABLE_EN, "ж": "zh", "ь": ""},
}  # fmt: skip


def transliterate(cyrillic: str, language: str) -> str:
    table = _TABLE[language]
    words = []
    for word in cyrillic.split():
        latin = "".join(table.get(ch, ch) for ch in word.lower())
        words.append(latin[:1].upper() + latin[1:])
    return " ".join(words)


def cyrillic_person(rng: random.Random) -> PersonName:
    given = rng.choice(_CYRILLIC_GIVEN)
    while True:
        first, middle, suffix = (rng.choice(part) for part in _CYRILLIC_ROOT)
        family = (first + middle + suffix).capitalize()
        if given in _CYRILLIC_FEMALE:
            family += "а"
        if not any(stem in transliterate(family, "en").lower() for stem in _AVOID):
            break
    native = f"{given} {family}"
    spellings = {lang: transliterate(native, lang) for lang in LANGUAGES}
    return PersonName("cyrillic", native, spellings, (transliterate(native, "en").upper(),))


# --- Japanese: common family and given names, long vowels marked or not -----------------
_JAPANESE_FAMILY = (("佐藤", "Satō"), ("伊藤", "Itō"), ("加藤", "Katō"), ("近藤", "Kondō"),
                    ("後藤", "Gotō"), ("大野", "Ōno"), ("小林", "Kobayashi"),
                    ("中村", "Nakamura"), ("山口", "Yamaguchi"), ("松本", "Matsumoto"))  # fmt: skip
_JAPANESE_GIVEN = (("健太", "Kenta"), ("翔太", "Shōta"), ("大輔", "Daisuke"), ("優斗", "Yūto"),
                   ("涼", "Ryō"), ("拓海", "Takumi"), ("悠真", "Yūma"), ("蓮", "Ren"))  # fmt: skip


def _long_vowels(text: str, style: str) -> str:
    marks = {"ō": "o", "ū": "u", "Ō": "O", "Ū": "U"}
    spelled = {"ou": {"ō": "ou", "ū": "uu", "Ō": "Ou", "Ū": "Uu"},
               "oh": {"ō": "oh", "ū": "u", "Ō": "Oh", "Ū": "U"}}.get(style, marks)  # fmt: skip
    return "".join(spelled.get(c, c) for c in text)


def japanese_person(rng: random.Random) -> PersonName:
    (family, family_r), (given, given_r) = (
        rng.choice(_JAPANESE_FAMILY),
        rng.choice(_JAPANESE_GIVEN),
    )
    spellings = {
        "en": f"{_long_vowels(given_r, 'plain')} {_long_vowels(family_r, 'plain')}",
        "fr": f"{given_r} {family_r.upper()}",
        "de": f"{_long_vowels(given_r, 'ou')} {_long_vowels(family_r, 'ou')}",
        "it": f"{given_r} {family_r}",
    }
    others = (f"{family_r.upper()} {given_r}", f"{_long_vowels(family_r, 'oh')} {given_r}")
    return PersonName("japanese", f"{family} {given}", spellings, others)


# --- Handles, phones, e-mail addresses, web sites ---------------------------------------
WORDS = ("aurora", "caravan", "horizon", "lantern", "river", "oasis", "falcon", "cedar",
         "harbor", "compass", "ember", "mosaic", "meadow", "summit", "anchor", "beacon",
         "citadel", "dune", "echo", "glade", "harvest", "jasmine", "kestrel", "lotus",
         "mirage", "nomad", "orchard", "pillar", "quill", "raven", "sable", "thistle",
         "willow", "zephyr", "nur", "fajr", "sabil", "qafila", "rihla", "sada", "nakhla",
         "wadi", "minaret", "crescent", "saffron", "amber", "granite", "tidal")  # fmt: skip
MAIL_DOMAINS = ("mailbox.example", "courriel.example", "postfach.example", "posta.example",
                "inbox.example", "relay.example")  # fmt: skip


@dataclass
class Registry:
    """Hands out identifiers once each, so two synthetic people never share one by chance."""

    rng: random.Random
    used: set[str] = field(default_factory=set)

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("the synthetic identifier space is exhausted")

    def handle(self, limit: int = 15) -> str:
        def make() -> str:
            first, second = self.rng.sample(WORDS, 2)
            style = self.rng.randrange(4)
            if style == 0:
                text = f"{first}_{second}"
            elif style == 1:
                text = f"{first}{second}{self.rng.randrange(10, 99)}"
            elif style == 2:
                text = f"{first}_{self.rng.randrange(100, 9999)}"
            else:
                text = f"the_{first}_{second}"
            return text[:limit].rstrip("_")

        return self._unique(make)

    def phone(self, country: str) -> str:
        """A number in a range reserved for fiction, in E.164 with spaces."""

        def make() -> str:
            digits = self.rng.randrange(100)
            if country == "GB":  # Ofcom drama numbers: 07700 900000 to 900999
                return f"+44 7700 900{self.rng.randrange(1000):03d}"
            if country == "FR":  # ARCEP numbers for fiction: 06 39 98 xx xx
                return f"+33 6 39 98 {digits:02d} {self.rng.randrange(100):02d}"
            area = self.rng.choice(("416", "514", "613") if country == "CA" else
                                   ("202", "312", "415", "617", "718"))  # fmt: skip
            return f"+1 {area} 555 01{digits:02d}"  # NANP 555-0100 to 555-0199: fictional

        return self._unique(make)

    def email(self, local_hint: str) -> str:
        def make() -> str:
            local = _plain(local_hint).lower().replace(" ", ".").replace("-", "")
            local = "".join(c for c in local if c.isalnum() or c == ".")[:20].strip(".")
            return f"{local}{self.rng.randrange(10, 999)}@{self.rng.choice(MAIL_DOMAINS)}"

        return self._unique(make)

    def site(self) -> str:
        def make() -> str:
            first, second = self.rng.sample(WORDS, 2)
            return f"https://{first}-{second}.example"

        return self._unique(make)
