"""Person names in any script: folding, romanisation, matching keys and similarity.

A name is never an identifier: two people can share one, and one person is
written many ways ("أبو محمد العدناني", "Abu Muhammad al-Adnani", "Abou Mohamed
Al Adnani", "Абу Мухаммад аль-Аднани"). So names give *candidates*, which an
analyst confirms (see :mod:`graph.resolution`), and never merge nodes by
themselves.

Three levels, from faithful to coarse:

:func:`fold_name`
    The name in its own script, NFKC, case-folded, Arabic diacritics and tatweel
    removed, alef/ya/ta-marbuta variants folded, punctuation to spaces. Use it to
    display and to search exactly.
:func:`romanise`
    A Latin rendering: Arabic by a consonant table, Japanese kana and kanji by
    pykakasi's Hepburn readings, every other script by anyascii.
:func:`name_skeleton`
    Per word, a consonant skeleton: vowels, ``w``/``y`` glides, Arabic articles,
    ``ʿayn`` and a final ``h`` dropped, letters that transliteration schemes
    disagree about folded into one class (``q``/``k``, ``kh``/``h``/``x``,
    ``sh``/``ch``/``s``, ``th``/``t``, ``dh``/``d``, ``dj``/``j``/``zh``,
    ``v``/``w``/``f``/``ph``, ``p``/``b``), doubled letters collapsed.
    :func:`name_key` sorts those words into one blocking key.

Examples
--------
>>> name_key("أبو محمد العدناني") == name_key("Abu Muhammad al-Adnani")
True
>>> name_key("Abou Mohamed Al Adnani")
'ab dnn mhmd'
>>> name_similarity("Abu Muhammad al-Adnani", "Abu Bakr al-Baghdadi") < 0.7
True

Chinese names written in Han characters are read with Japanese readings, which
does not give Pinyin; add a Pinyin romaniser before relying on Chinese names.
"""

# ruff: noqa: RUF001, RUF002 — Arabic and Cyrillic letters are the subject here.

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from functools import cache
from typing import Any, Final

from anyascii import anyascii

__all__ = [
    "fold_name",
    "name_key",
    "name_similarity",
    "name_skeleton",
    "romanise",
]

_ARABIC_MARKS: Final[re.Pattern[str]] = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]"
)
_ARABIC_FOLD: Final[dict[int, str]] = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ی": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",
    }
)
# Romanisation of (folded) Arabic letters. Chosen so that the Latin skeleton of the
# result equals the skeleton of the usual English and French transliterations:
# long vowels become vowels, ʿayn a vowel, ta marbuta (folded to h) a final h.
_ARABIC_LATIN: Final[dict[int, str]] = str.maketrans(
    {
        "ا": "a",
        "ب": "b",
        "ت": "t",
        "ث": "th",
        "ج": "j",
        "ح": "h",
        "خ": "kh",
        "د": "d",
        "ذ": "dh",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "sh",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "z",
        "ع": "a",
        "غ": "gh",
        "ف": "f",
        "ق": "q",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "و": "u",
        "ي": "i",
        "ء": "",
        "پ": "p",
        "چ": "ch",
        "ژ": "zh",
        "گ": "g",
    }
)
_ARABIC_LETTER: Final[re.Pattern[str]] = re.compile("[\u0600-\u06ff]")
_JAPANESE: Final[re.Pattern[str]] = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
_SEPARATORS: Final[re.Pattern[str]] = re.compile(r"[\s\u30fb\u00b7,;:/()\[\]{}\"«»._]+")

# Arabic articles as they are romanised: "al-", "el-", and sun-letter assimilations.
_ARTICLE_PREFIX: Final[re.Pattern[str]] = re.compile(r"^(?:[ae]l|ul|a[dnrstz]|ash|adh|ath)-")
_ARTICLES: Final[frozenset[str]] = frozenset({"al", "el", "ul", "il"})
_ABD: Final[re.Pattern[str]] = re.compile(r"^abd(?:[aeiou]+l)?")
_DIGRAPHS: Final[tuple[tuple[str, str], ...]] = (
    ("dzh", "j"),
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "s"),
    ("kh", "h"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("dj", "j"),
    ("zh", "j"),
    ("ph", "f"),
    ("ck", "k"),
)
_LETTER_CLASS: Final[dict[int, str]] = str.maketrans(
    {"q": "k", "c": "k", "x": "h", "v": "f", "w": "", "p": "b", "y": "", "'": ""}
)
_VOWELS: Final[re.Pattern[str]] = re.compile("[aeiou]")


def fold_name(text: str) -> str:
    """The name in its own script, folded for exact comparison.

    Examples
    --------
    >>> fold_name("أَبُو مُحَمَّد العَدْنانـي")
    'ابو محمد العدناني'
    >>> fold_name("  Abu  MUHAMMAD ")
    'abu muhammad'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    text = _SEPARATORS.sub(" ", text.casefold())
    return " ".join(text.split())


@cache
def _kakasi() -> Any:
    # Loading the dictionaries takes about a second: only when a Japanese name appears.
    import pykakasi

    return pykakasi.kakasi()  # type: ignore[no-untyped-call]


def _romanise_japanese(match: re.Match[str]) -> str:
    parts = _kakasi().convert(match.group(0))
    return " ".join(str(part["hepburn"]) for part in parts)


def _romanise_arabic_word(word: str) -> str:
    if not _ARABIC_LETTER.search(word):
        return word
    prefix = ""
    if word.startswith("ال") and len(word) > 3:
        prefix, word = "al-", word[2:]
    first = "w" if word.startswith("و") and len(word) > 2 else ""
    if first:
        word = word[1:]
    return prefix + first + word.translate(_ARABIC_LATIN)


def romanise(text: str) -> str:
    """A lower-case Latin rendering of a name in any script.

    Examples
    --------
    >>> romanise("Абу Мухаммад аль-Аднани")
    'abu mukhammad al-adnani'
    >>> romanise("山田 太郎")
    'yamada tarou'
    """
    text = fold_name(text)
    text = _JAPANESE.sub(_romanise_japanese, text)
    text = " ".join(_romanise_arabic_word(w) for w in text.split())
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = anyascii(text).lower()
    text = re.sub(r"[^a-z0-9' -]+", " ", text).replace("'-", "-")
    return " ".join(text.split())


def _skeleton_word(word: str) -> str:
    for digraph, letter in _DIGRAPHS:
        word = word.replace(digraph, letter)
    initial_glide = word[:1] in ("w", "v")
    word = re.sub(r"(.)\1+", r"\1", word.translate(_LETTER_CLASS))
    stripped = _VOWELS.sub("", word)
    if initial_glide:
        stripped = "f" + stripped.removeprefix("f")
    elif len(stripped) <= 1 and word[:1] in "aeiou":
        # "Ali", "Abu", "Ola": one consonant says too little; keep the initial vowel.
        stripped = word[:1] + stripped
    word = stripped or word[:1]
    if len(word) > 1 and word.endswith("h"):
        word = word[:-1]
    return word


def name_skeleton(text: str) -> list[str]:
    """The consonant skeleton of each word of a name, in order.

    Examples
    --------
    >>> name_skeleton("Abd al-Rahman ibn Awf")
    ['bd', 'rhmn', 'bn', 'af']
    """
    words: list[str] = []
    for raw in romanise(text).replace("'", "").split():
        word = _ARTICLE_PREFIX.sub("", raw)
        if word in _ARTICLES or not word.strip("-"):
            continue
        match = _ABD.match(word)
        parts = ["abd", word[match.end() :]] if match and len(word) > 3 else [word]
        for part in parts:
            words.extend(_skeleton_word(p) for p in part.split("-") if p)
    return [w for w in words if w]


def name_key(text: str) -> str:
    """A blocking key: the skeleton words of a name, sorted, joined by spaces.

    Names with equal keys are candidates for the same person whatever their
    script or word order; names with different keys may still be (see
    :func:`name_similarity`).
    """
    return " ".join(sorted(name_skeleton(text)))


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) == 1 and a[0] == b[0]:
        return 0.8  # an initial ("K. Benali") stands for a word that starts with it
    # Squared: two different words that share most letters ("hmd"/"mhmd", Ahmed/Mahmoud)
    # are different names far more often than spelling variants that survived folding.
    return SequenceMatcher(None, a, b, autojunk=False).ratio() ** 2


def _directed(words: list[str], others: list[str]) -> float:
    total = sum(len(w) for w in words)
    best = sum(len(w) * max(_word_similarity(w, o) for o in others) for w in words)
    return best / total


def name_similarity(a: str, b: str) -> float:
    """How alike two names are, from 0 to 1, across scripts and word orders.

    Each word's skeleton is matched to the most similar word of the other name,
    weighted by length, in both directions; the lower direction counts, so a
    short name is not "contained" in a long one for free. Names whose skeletons
    hold fewer than four letters in all are capped at 0.6: "Ali" says little.

    Examples
    --------
    >>> name_similarity("Владимир Путин", "Wladimir Putin")
    1.0
    >>> name_similarity("Yamada Taro", "山田太郎")
    1.0
    """
    left, right = name_skeleton(a), name_skeleton(b)
    if not left or not right:
        return 0.0
    score = min(_directed(left, right), _directed(right, left))
    if min(sum(map(len, left)), sum(map(len, right))) < 3:
        score = min(score, 0.6)
    return round(score, 4)
