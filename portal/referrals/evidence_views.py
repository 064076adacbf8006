"""Evidence on a referral item: the upload (the referring organisation), the list and the
download (the referrer and the platform). ``templates/referrals/_evidence.html`` is the panel
an item page includes; :func:`evidence_panel` builds what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from portal.access import signed_in
from portal.i18n import number
from portal.models import OrgKind
from portal.principal import current_actor, current_reader
from portal.referrals.blueprint import blueprint
from portal.services.errors import InvalidInput, ServiceError
from portal.services.principals import Reader
from portal.services.referrals import evidence
from portal.services.referrals.evidence import EvidenceInfo, EvidenceUpload


@dataclass(frozen=True)
class EvidencePanel:
    """What ``_evidence.html`` shows: the item's evidence and, for the referrer, the form."""

    item_id: str
    files: list[EvidenceInfo]
    can_attach: bool
    max_mb: int
    next_url: str
    error: str | None = None


def evidence_panel(
    reader: Reader, item_id: str, *, next_url: str = "", error: str | None = None
) -> EvidencePanel:
    """The panel of an item the reader's organisation referred or received (NotFound else).
    The upload form shows for the referrer's side; the service decides whether it succeeds."""
    return EvidencePanel(
        item_id=item_id,
        files=evidence.list_evidence(reader, item_id),
        can_attach=reader.org_kind is not OrgKind.PLATFORM,
        max_mb=evidence.max_bytes() // (1024 * 1024),
        next_url=_local(next_url) or url_for("referrals.evidence_page", item_id=item_id),
        error=error,
    )


def _local(target: str | None) -> str | None:
    """A path inside the referral pages, never another site (an open redirect)."""
    text = (target or "").strip()
    if text.startswith("/referrals/") and "//" not in text and "\\" not in text:
        return text
    return None


@blueprint.route("/items/<item_id>/evidence")
@signed_in
def evidence_page(item_id: str) -> str:
    """The item's evidence on a page of its own (the item pages include the same panel)."""
    panel = evidence_panel(current_reader(), item_id)
    return render_template("referrals/evidence.html", panel=panel)


@blueprint.route("/items/<item_id>/evidence", methods=["POST"])
@signed_in
def upload_evidence(item_id: str) -> Response | tuple[str, int]:
    # The app-wide CSRF protection has checked the token before this runs.
    reader = current_reader()
    next_url = request.form.get("next", "")
    file = request.files.get("evidence")
    try:
        if file is None or not file.filename:
            raise InvalidInput(gettext("Choose the file to attach."), field="evidence")
        info = evidence.attach(
            reader, current_actor(), item_id, EvidenceUpload(file.filename, file.stream)
        )
    except InvalidInput as error:
        panel = evidence_panel(reader, item_id, next_url=next_url, error=error.message)
        return render_template("referrals/evidence.html", panel=panel), error.status
    except ServiceError:
        raise
    # The name stays out of the flash message: the session cookie is signed, not encrypted.
    flash(
        gettext(
            "Evidence attached: SHA-256 %(sha256)s…, %(size)s bytes.",
            sha256=info.sha256[:16],
            size=number(info.size),
        ),
        "success",
    )
    return redirect(_local(next_url) or url_for("referrals.evidence_page", item_id=item_id))


@blueprint.route("/items/<item_id>/evidence/<evidence_id>")
@signed_in
def download_evidence(item_id: str, evidence_id: str) -> Response:
    """The decrypted, verified copy, always as a download."""
    got = evidence.download(current_reader(), current_actor(), item_id, evidence_id)
    ascii_name = got.filename.encode("ascii", "replace").decode().replace('"', "_")
    response = Response(got.data, mimetype=got.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(got.filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
