"""The yearly transparency report: a signed PDF of briefing quality with the figures
Regulation (EU) 2021/784 asks hosting providers (Art. 7) and competent authorities (Art. 8)
to publish, the charts, and the method notes.

It goes through the briefing pipeline: the HTML below, WeasyPrint in its child process with the
fetcher that refuses every URL but the portal's own briefing assets, and the organisation's
signature when it holds a signing key (``python -m portal.briefings verify`` checks it
offline).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import gettext
from markupsafe import Markup

from crypto import UnknownKeyVersion
from portal.extensions import db
from portal.models import Organisation
from portal.services import audit
from portal.services.briefings import signing
from portal.services.briefings.pdf_renderer import Renderer, shared_renderer
from portal.services.errors import InvalidInput
from portal.services.principals import Actor, Reader
from portal.services.referrals.ledger import moment
from portal.services.transparency import charts
from portal.services.transparency import figures as tf


@dataclass(frozen=True)
class Report:
    filename: str
    pdf: bytes
    pages: int


def _year(raw: str, now: datetime) -> str:
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(gettext("Choose a year."), field="year")
    try:
        tf.period(text, now)
    except InvalidInput as error:
        raise InvalidInput(error.message, field="year") from None
    return text


def _signing_key(org_code: str) -> tuple[int, str] | None:
    """Version and fingerprint of the key that signs the report; None when the organisation
    holds no signing key (platform partners: they sign nothing on Ischia)."""
    try:
        return signing.signing_key(org_code)
    except UnknownKeyVersion:
        return None


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot end the string, the rule or the style."""
    quoted = "".join(c if c.isalnum() or c in " ·.,:;-()'" else f"\\{ord(c):x} " for c in text)
    return f'"{quoted}"'


def page_header() -> Markup:
    """The running header's CSS ``content``: the title and 'Page n of N' in the reader's
    language, with the page counters where the translation puts them."""
    text = gettext("Ischia transparency report · Page %(page)s of %(pages)s", page="\0", pages="\1")
    counters = {"\0": "counter(page)", "\1": "counter(pages)"}
    parts = [counters.get(piece) or _css_string(piece) for piece in re.split("([\0\1])", text)]
    return Markup(" ".join(parts))  # noqa: S704  (every text is quoted)


def report_html(
    found: tf.Figures, made_by: str, prepared_for: str, key: tuple[int, str] | None
) -> str:
    """The complete HTML document WeasyPrint renders."""
    return render_template(
        "referrals/transparency_report.html",
        f=found,
        scope=found.scope,
        charts=charts.all_charts(found),
        made_by=made_by,
        prepared_for=prepared_for,
        signing_key=key,
        groups=list(tf.Group),
        categories=tf.categories(),
        label=charts.label,
        duration=tf.duration,
        share=tf.share,
        page_header=page_header(),
    )


def yearly_report(
    reader: Reader,
    actor: Actor,
    side: str,
    code: str,
    year: str,
    prepared_for: str,
    *,
    now: datetime | None = None,
    renderer: Renderer | None = None,
) -> Report:
    """Render, sign and audit the report of ``year`` for the scope ``reader`` may see."""
    now = moment(now)
    chosen = tf.scope(reader, side, code)
    found = tf.compute(chosen, tf.period(_year(year, now), now), now)
    session = db.session()
    maker = session.get_one(Organisation, reader.org_id)
    key = _signing_key(reader.org_code)
    html = report_html(found, f"{maker.name} ({maker.code})", prepared_for, key)
    rendered = (renderer or shared_renderer()).render(html)
    claims = {
        "copy": f"transparency-{chosen.code}-{year}-{now:%Y%m%dT%H%M%SZ}",
        "kind": "transparency_report",
        "org": reader.org_code,
        "scope": chosen.side.value,
        "scope_org": chosen.code,
        "year": int(year),
        "prepared_for": prepared_for,
        "user_id": reader.user_id,
        "created_at": now.isoformat(),
        "pages": rendered.pages,
        "items": found.referred,
    }
    pdf = rendered.pdf if key is None else signing.sign_for(reader.org_code, rendered.pdf, claims)
    with db.write() as writing:
        audit.record(
            writing,
            "transparency.report",
            actor,
            subject_org=chosen.platform_id or chosen.referrer_id,
            details={
                "scope": chosen.side.value,
                "org": chosen.code,
                "year": int(year),
                "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
            },
        )
    name = f"ischia-transparency-report-{chosen.code.lower()}-{year}.pdf"
    return Report(name, pdf, rendered.pages)
