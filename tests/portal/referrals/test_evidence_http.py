"""The evidence pages: upload by the referrer, download by both parties as an attachment with
a safe name, 404 for everyone else, 4xx for bad files with nothing stored."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ReferralEvidence
from tests.portal.conftest import csrf_token, sign_in
from tests.portal.referrals.conftest import item

EMAILS = {
    "de": "de@de-bmi.example",
    "fr": "fr@fr-mininT.example".lower(),
    "x": "x@platform-x.example",
    "y": "y@platform-y.example",
}
PAGE = b"<!doctype html><html><body><script>alert(1)</script>saved page</body></html>"


def client_of(app, world, who):
    client = app.test_client()
    sign_in(client, world.people, EMAILS[who])
    return client


def post_file(client, item_id, data, name, next_url=""):
    page = client.get(f"/referrals/items/{item_id}/evidence")
    assert page.status_code == 200
    return client.post(
        f"/referrals/items/{item_id}/evidence",
        data={
            "csrf_token": csrf_token(page.text),
            "next": next_url,
            "evidence": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(ReferralEvidence)) or 0


def test_the_referrer_uploads_and_both_parties_download(app, world):
    with app.app_context():
        target = world.refer("de", [item("https://v.example/page")]).items[0]
    de = client_of(app, world, "de")
    done = post_file(
        de, target.id, PAGE, "../../saved <page>.html", next_url="https://evil.example/"
    )
    assert done.status_code == 302
    assert done.location.endswith(f"/referrals/items/{target.id}/evidence")  # no open redirect
    page = de.get(done.location)
    assert "saved _page.html" in page.text and 'type="file"' in page.text
    with app.app_context():
        evidence_id = db.session.scalar(select(ReferralEvidence.id))
    url = f"/referrals/items/{target.id}/evidence/{evidence_id}"
    for who in ("de", "x"):
        got = (de if who == "de" else client_of(app, world, who)).get(url)
        assert got.status_code == 200 and got.data == PAGE
        assert got.mimetype == "application/octet-stream"  # HTML is never served as a page
        assert got.headers["Content-Disposition"].startswith(
            'attachment; filename="saved _page.html"'
        )
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Cache-Control"] == "no-store"
    platform_page = client_of(app, world, "x").get(f"/referrals/items/{target.id}/evidence")
    assert "saved _page.html" in platform_page.text and 'type="file"' not in platform_page.text
    for who in ("fr", "y"):
        other = client_of(app, world, who)
        assert other.get(url).status_code == 404
        assert other.get(f"/referrals/items/{target.id}/evidence").status_code == 404


def test_bad_files_get_a_4xx_naming_the_problem_and_nothing_is_stored(app, world):
    app.config["REFERRAL_EVIDENCE_MAX_BYTES"] = 1024
    with app.app_context():
        target = world.refer("de").items[0]
    de = client_of(app, world, "de")
    empty = post_file(de, target.id, b"", "empty.mp4")
    assert empty.status_code == 400 and "The file is empty" in empty.text
    big = post_file(de, target.id, b"x" * 1025, "big.mp4")
    assert big.status_code == 400 and "larger than" in big.text
    fr = client_of(app, world, "fr")
    page = de.get(f"/referrals/items/{target.id}/evidence")
    refused = fr.post(
        f"/referrals/items/{target.id}/evidence",
        data={"csrf_token": csrf_token(page.text), "evidence": (io.BytesIO(b"abc"), "a.bin")},
        content_type="multipart/form-data",
    )
    assert refused.status_code in (400, 404)
    with app.app_context():
        assert stored() == 0
