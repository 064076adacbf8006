"""The yearly transparency report: one PDF rendered per backend (rendering is slow), read back
the way a reader's tools do; its figures, every page's running header, its signature, and the
audit record of its making."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from sqlalchemy import select

from portal.briefings.__main__ import main as verify_main
from portal.extensions import db
from portal.models import AuditRecord
from portal.services.transparency import figures as tf
from portal.services.transparency.report import report_html
from tests.conftest import Worlds
from tests.portal.briefings.pdf_text import (
    inked_share,
    page_count,
    page_texts,
    words_past_the_edge,
)
from tests.portal.conftest import People, sign_in
from tests.portal.referrals import transparency_world as hw


@pytest.fixture(scope="module")
def report_world(worlds: Worlds):
    """DE-BMI's report for 2026, made by its liaison officer through the page, once."""
    history = worlds.build("transparency-history", hw.build)

    def make(app: Flask):
        client = app.test_client()
        sign_in(client, People(app), "de@de-bmi.example")
        response = client.get("/referrals/transparency/ministry/DE-BMI/report.pdf?year=2026")
        assert response.status_code == 200, response.text[:500]
        return response

    return worlds.build("transparency-report", make, on=history)


@pytest.fixture
def report(app, report_world, tmp_path):
    report_world.load(app)
    path = tmp_path / "report.pdf"
    path.write_bytes(report_world.value.data)
    return report_world.value, path


def test_the_report_is_an_attachment_never_cached(report):
    response, _ = report
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="ischia-transparency-report-de-bmi-2026.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")


def test_cover_figures_charts_and_method_on_numbered_pages(report):
    _, path = report
    texts = page_texts(path)
    pages = page_count(path)
    assert pages == len(texts) >= 5  # cover, contents, regulation, figures, charts, method
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text, number
        assert "DE-BMI" in text and "TRANSPARENCY 2026" in text, number
    whole = " ".join(" ".join(text.split()) for text in texts)
    assert "Ischia transparency report" in texts[0] and "de@de-bmi.example" in texts[0]
    assert "Art. 8(1)" in whole
    # DE-BMI's 3 orders: 2 removed, 1 within the hour, 1 after it, 1 undecided past it.
    assert (
        "Removal orders issued: 3; items removed or to which access was disabled: 2; handled "
        "within the hour: 1, after it: 1, undecided past the hour: 1" in whole
    )
    assert "Items referred 11" in whole
    assert "PLATFORM-X 7 30 min 2 h 00 min" in whole  # decided, p50, p90
    assert "PLATFORM-Y 1 1 h 00 min 1 h 00 min" in whole
    assert "Items referred per week" in whole and "p50 (median)" in whole
    assert "Method notes" in whole and "nearest-rank" in whole
    assert words_past_the_edge(path) == []


def test_pages_are_not_blank(report, tmp_path):
    _, path = report
    shares = inked_share(path, tmp_path)
    assert len(shares) == page_count(path)
    assert all(share > 0.003 for share in shares), shares


def test_the_platforms_signature_verifies_offline_and_an_edit_fails(report, app, tmp_path, capsys):
    _, path = report
    client = app.test_client()
    sign_in(client, People(app), "de@de-bmi.example")
    keys = tmp_path / "keys.json"
    keys.write_bytes(client.get("/bulletins/keys.json").data)
    assert verify_main(["verify", str(path), "--keys", str(keys)]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out and "de@de-bmi.example" in out and "transparency-DE-BMI-2026" in out
    data = path.read_bytes()
    edited = tmp_path / "edited.pdf"
    edited.write_bytes(data[:300] + bytes([data[300] ^ 1]) + data[301:])
    assert verify_main(["verify", str(edited), "--keys", str(keys)]) == 1


def test_making_the_report_is_audited_with_its_digest(report, app):
    response, _ = report
    with app.app_context():
        (record,) = db.session.scalars(
            select(AuditRecord).where(AuditRecord.event == "transparency.report")
        )
        assert record.actor_email == "de@de-bmi.example"
        assert record.details["pdf_sha256"] == hashlib.sha256(response.data).hexdigest()
        assert (record.details["org"], record.details["year"]) == ("DE-BMI", 2026)


def test_a_year_that_is_not_one_is_refused_before_rendering(app, report):
    client = app.test_client()
    sign_in(client, People(app), "x@platform-x.example")
    for year in ("", "90d", "2019", "abcd"):
        response = client.get(f"/referrals/transparency/platform/PLATFORM-X/report.pdf?year={year}")
        assert response.status_code == 400, year
    # Another platform's report, or a ministry's, does not exist for this platform.
    for path in ("platform/PLATFORM-Y", "ministry/DE-BMI"):
        response = client.get(f"/referrals/transparency/{path}/report.pdf?year=2026")
        assert response.status_code == 404, path


def test_a_platforms_report_gives_the_hosting_providers_figures_unsigned(app, report):
    """The HTML only (one render per session is enough): Art. 7's figures, and a platform,
    which holds no signing key on Ischia, says its report is not signed."""
    with app.test_request_context():
        from portal.models import User
        from portal.services.principals import Reader

        user = db.session.scalars(select(User).where(User.email == "x@platform-x.example")).one()
        found = tf.figures(Reader.of(user), "platform", "PLATFORM-X", "2026", now=hw.NOW)
        html = report_html(found, "PLATFORM-X org (PLATFORM-X)", "x@platform-x.example", None)
    assert "Art. 7(3)" in html and "Art. 8(1)" not in html
    assert "This file is not signed" in html
    assert "ischia-asset:briefing.css" in html
    # Nothing to fetch but the briefing stylesheet and the document's own anchors.
    assert re.findall(r'(?:href|src)="(?!#|ischia-asset:)', html) == []
