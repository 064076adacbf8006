"""How far a bulletin can be trusted and who may pass it on: the Europol 4x4 evaluation codes
and handling codes, and their nearest equivalents in the UK 3x5x2 and 5x5x5 systems.

The codes and meanings follow Article 29 of the Europol Regulation (EU) 2016/794 and the
handling codes of the EU Manual on Law Enforcement Information Exchange. The mapping to the UK
systems is documented, with its losses, in ``docs/grading-and-tags.md``; :func:`uk_3x5x2` and
:func:`uk_5x5x5` are tested against that table.

A grading is part of the signed content (``content.BulletinContent.grading``). A bulletin
sealed before gradings existed has none and reads as "not graded".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from portal.services.errors import InvalidInput

MAX_CONDITIONS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

__all__ = [
    "MAX_CONDITIONS",
    "Grading",
    "Handling",
    "Information",
    "Source",
    "UkGrading",
    "grading_problems",
    "parse_grading",
    "uk_3x5x2",
    "uk_5x5x5",
]


class Source(enum.StrEnum):
    """Source evaluation (Europol Regulation, Article 29(1))."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"

    @property
    def meaning(self) -> str:
        return str(_SOURCE[self])


class Information(enum.StrEnum):
    """Information evaluation (Europol Regulation, Article 29(2))."""

    ONE = "1"
    TWO = "2"
    THREE = "3"
    FOUR = "4"

    @property
    def meaning(self) -> str:
        return str(_INFORMATION[self])


class Handling(enum.StrEnum):
    """Handling codes: what a recipient may do with the information."""

    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"

    @property
    def meaning(self) -> str:
        return str(_HANDLING[self])

    @property
    def restricts_passing_on(self) -> bool:
        """H2 and H3: shown wherever someone could pass the bulletin on."""
        return self in (Handling.H2, Handling.H3)


# The meanings are translated (the codes never are): lazy, read in the reader's language.
_SOURCE = {
    Source.A: _l(
        "completely reliable: no doubt about the source's authenticity, trustworthiness "
        "and competence, or it proved reliable in all instances"
    ),
    Source.B: _l("usually reliable: the source has in most instances proved to be reliable"),
    Source.C: _l("not usually reliable: the source has in most instances proved to be unreliable"),
    Source.X: _l("cannot be judged: the reliability of the source cannot be assessed"),
}
_INFORMATION = {
    Information.ONE: _l("known to be true without reservation: its accuracy is not in doubt"),
    Information.TWO: _l("known personally to the source but not to the officer passing it on"),
    Information.THREE: _l(
        "not known personally to the source, but corroborated by information already recorded"
    ),
    Information.FOUR: _l(
        "cannot be judged: not known personally to the source and not corroborated"
    ),
}
_HANDLING = {
    Handling.H0: _l(
        "may be used for preventing and combating crime (law-enforcement purposes); "
        "no further restriction"
    ),
    Handling.H1: _l(
        "not to be used as evidence in judicial proceedings without the permission of the provider"
    ),
    Handling.H2: _l("not to be disseminated without the permission of the provider"),
    Handling.H3: _l("other restrictions, stated by the provider"),
}


@dataclass(frozen=True)
class Grading:
    """One bulletin's evaluation and handling code; ``conditions`` is H3's free text."""

    source: Source
    information: Information
    handling: Handling
    conditions: str | None = None

    @property
    def code(self) -> str:
        """The compact form shown in lists: ``B2 · H2``."""
        return f"{self.source.value}{self.information.value} · {self.handling.value}"

    @property
    def passing_on(self) -> str | None:
        """What someone about to pass the bulletin on must read (H2 and H3), else None."""
        if self.handling is Handling.H2:
            return str(gettext("%(code)s: %(meaning)s.", code="H2", meaning=self.handling.meaning))
        if self.handling is Handling.H3:
            return str(
                gettext(
                    "%(code)s: %(meaning)s: %(conditions)s",
                    code="H3",
                    meaning=self.handling.meaning,
                    conditions=self.conditions,
                )
            )
        return None

    def document(self) -> dict[str, str | None]:
        return {
            "source": self.source.value,
            "information": self.information.value,
            "handling": self.handling.value,
            "conditions": self.conditions,
        }


def _code(kind: type[enum.StrEnum], raw: Any, path: str) -> Any:
    try:
        return kind(str(raw).strip().upper() if isinstance(raw, str | int) else raw)
    except ValueError:
        allowed = ", ".join(f"{m.value} ({getattr(m, 'meaning')})" for m in kind)  # noqa: B009
        raise InvalidInput(
            gettext("Choose one of: %(allowed)s.", allowed=allowed), field=path
        ) from None


def parse_grading(raw: Any, path: str = "grading") -> Grading | None:
    """``{"source", "information", "handling", "conditions"}`` checked, or None when absent."""
    if raw in (None, "", {}):
        return None
    if not isinstance(raw, dict):
        raise InvalidInput(
            gettext("An object with source (A, B, C, X), information (1-4) and handling (H0-H3)."),
            field=path,
        )
    source = _code(Source, raw.get("source"), f"{path}.source")
    information = _code(Information, raw.get("information"), f"{path}.information")
    handling = _code(Handling, raw.get("handling"), f"{path}.handling")
    conditions_raw = raw.get("conditions")
    if conditions_raw is not None and not isinstance(conditions_raw, str):
        raise InvalidInput(gettext("Must be text."), field=f"{path}.conditions")
    conditions = (conditions_raw or "").strip() or None
    if conditions is not None:
        if len(conditions) > MAX_CONDITIONS:
            raise InvalidInput(
                gettext("At most %(limit)s characters.", limit=MAX_CONDITIONS),
                field=f"{path}.conditions",
            )
        if _CONTROL.search(conditions):
            raise InvalidInput(
                gettext("Control characters are not allowed."), field=f"{path}.conditions"
            )
    if handling is Handling.H3 and conditions is None:
        raise InvalidInput(
            gettext("H3 needs the provider's restrictions, in words."),
            field=f"{path}.conditions",
        )
    if handling is not Handling.H3 and conditions is not None:
        raise InvalidInput(
            gettext("Only H3 carries conditions: choose H3, or leave the conditions empty."),
            field=f"{path}.conditions",
        )
    return Grading(source, information, handling, conditions)


def grading_problems(raw: Any, path: str = "grading") -> list[InvalidInput]:
    """Every problem :func:`parse_grading` would raise, not only the first: each wrong code,
    then the conditions (checked as soon as the handling code itself is right), so that a form
    shows them all at once. Empty when the grading is accepted or absent."""
    if not isinstance(raw, dict) or raw in ({},):
        try:
            parse_grading(raw, path)
        except InvalidInput as error:
            return [error]
        return []
    found: list[InvalidInput] = []
    placeholder = dict(raw)
    codes: tuple[tuple[type[enum.StrEnum], str], ...] = (
        (Source, "source"),
        (Information, "information"),
        (Handling, "handling"),
    )
    for kind, name in codes:
        try:
            _code(kind, raw.get(name), f"{path}.{name}")
        except InvalidInput as error:
            found.append(error)
            placeholder[name] = next(iter(kind)).value
    if any(error.field == f"{path}.handling" for error in found):
        return found  # the conditions depend on the handling code
    try:
        parse_grading(placeholder, path)
    except InvalidInput as error:
        found.append(error)
    return found


# -- The UK systems ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UkGrading:
    """A grading in a UK system: its three codes and whether the mapping lost a distinction."""

    source: str
    intelligence: str
    handling: str
    approximate: bool

    @property
    def code(self) -> str:
        return f"{self.source}{self.intelligence}{self.handling}"


# 3x5x2 (College of Policing, APP Intelligence management): source 1 reliable, 2 untested,
# 3 not reliable; intelligence A known directly to the source, B known indirectly but
# corroborated, C known indirectly, D not known, E suspected to be false; handling P lawful
# sharing permitted, C lawful sharing permitted with conditions.
_3X5X2_SOURCE = {Source.A: "1", Source.B: "1", Source.C: "3", Source.X: "2"}
_3X5X2_INFORMATION = {
    Information.ONE: "A",
    Information.TWO: "A",
    Information.THREE: "B",
    Information.FOUR: "C",
}
_3X5X2_HANDLING = {Handling.H0: "P", Handling.H1: "C", Handling.H2: "C", Handling.H3: "C"}

# 5x5x5 (NIM, 2006): source A always reliable, B mostly reliable, C sometimes reliable,
# D unreliable, E untested; intelligence 1 known to be true without reservation, 2 known
# personally to the source but not to the officer, 3 not known personally to the source but
# corroborated, 4 cannot be judged, 5 suspected to be false; handling 1-5 (1 may be
# disseminated to law-enforcement and prosecuting agencies, 5 no further dissemination:
# refer to the originator).
_5X5X5_SOURCE = {Source.A: "A", Source.B: "B", Source.C: "D", Source.X: "E"}
_5X5X5_INFORMATION = {i: i.value for i in Information}
_5X5X5_HANDLING = {Handling.H0: "1", Handling.H1: "1", Handling.H2: "5", Handling.H3: "5"}


def uk_3x5x2(grading: Grading) -> UkGrading:
    """The nearest 3x5x2 grading. Approximate where 3x5x2 has no equal code: B becomes
    "reliable" as A does, 1 and 2 both "known directly to the source", and H1-H3 all
    "sharing permitted with conditions" (the conditions are the handling code's meaning)."""
    approximate = (
        grading.source is Source.B
        or grading.information is Information.ONE
        or grading.handling is not Handling.H0
    )
    return UkGrading(
        _3X5X2_SOURCE[grading.source],
        _3X5X2_INFORMATION[grading.information],
        _3X5X2_HANDLING[grading.handling],
        approximate,
    )


def uk_5x5x5(grading: Grading) -> UkGrading:
    """The nearest 5x5x5 grading: evaluation codes map one to one (C "mostly unreliable" as
    D "unreliable", X as E "untested"); handling H1 as 1 (its judicial-use condition is lost),
    H2 and H3 as 5 (refer to the originator)."""
    approximate = grading.handling in (Handling.H1, Handling.H3) or grading.source is Source.C
    return UkGrading(
        _5X5X5_SOURCE[grading.source],
        _5X5X5_INFORMATION[grading.information],
        _5X5X5_HANDLING[grading.handling],
        approximate,
    )
