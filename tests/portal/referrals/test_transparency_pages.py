"""Transparency through HTTP: the pages with their SVG charts, the CSV downloads, the menu
entry, and who gets a 404 or a 403; the CSV neutralises formula cells."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from portal.services.transparency import figures as tf
from portal.services.transparency import pages
from tests.conftest import World as DbWorld
from tests.conftest import Worlds
from tests.portal.conftest import People, sign_in
from tests.portal.referrals import transparency_world as hw
from tests.portal.referrals.transparency_world import NOW, History

EMAILS = {
    "de": "de@de-bmi.example",
    "de.analyst": "de.analyst@de-bmi.example",
    "fr": "fr@fr-minint.example",
    "uk": "uk@uk-ho.example",
    "x": "x@platform-x.example",
    "x.admin": "x.admin@platform-x.example",
    "y": "y@platform-y.example",
}


@pytest.fixture(scope="module")
def history_world(worlds: Worlds) -> DbWorld[History]:
    return worlds.build("transparency-history", hw.build)


@pytest.fixture
def signed(app, history_world):
    history_world.load(app)
    people = People(app)
    made = {}

    def client(who: str):
        if who not in made:
            made[who] = app.test_client()
            sign_in(made[who], people, EMAILS[who])
        return made[who]

    return client


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def value(found: list[dict[str, str]], figure: str, **where: str) -> str:
    (row,) = [
        r for r in found if r["figure"] == figure and all(r[k] == v for k, v in where.items())
    ]
    return row["value"]


def test_a_ministry_opens_its_own_figures_with_charts(signed):
    de = signed("de")
    page = de.get("/referrals/transparency?period=2026")
    assert page.status_code == 200
    text = page.text
    assert "Referrals by DE-BMI org (DE-BMI)" in text
    assert text.count("<svg") == 3 and "Items referred per week" in text
    assert "<script" not in text.split("<main", 1)[-1].split("</main>", 1)[0]
    # Its platforms, to look at one at a time.
    assert "/referrals/transparency/platform/PLATFORM-X?period=2026" in text
    assert "/referrals/transparency/platform/PLATFORM-Y?period=2026" in text
    assert ">Transparency<" in text  # the menu entry
    assert "1 of 2 decided (50.0 %)" in text  # removal orders within the hour
    # German's longer chart title takes two lines inside its chart instead of running out.
    german = de.get("/referrals/transparency", headers={"Accept-Language": "de"})  # 90 days
    weekly = german.text.split("<svg", 2)[1]
    assert "Gemeldete Elemente pro Woche" in weekly and weekly.count("<tspan") == 2


def test_a_platform_sees_its_own_page_and_nothing_else(signed):
    x = signed("x")
    own = x.get("/referrals/transparency?period=2026")
    assert own.status_code == 200
    assert "Referrals and removal orders received by PLATFORM-X org" in own.text
    cells = ('<td dir="auto">9</td><td dir="auto">40 min</td>', '<td dir="auto">2 h 30 min</td>')
    assert "".join(cells) in own.text  # 2400 s, 9000 s
    for path in (
        "/referrals/transparency/platform/PLATFORM-Y",
        "/referrals/transparency/ministry/DE-BMI",
        "/referrals/transparency/platform/PLATFORM-Y.csv",
        "/referrals/transparency/ministry/DE-BMI/report.pdf?year=2026",
    ):
        assert x.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("fr", "/referrals/transparency/ministry/DE-BMI", 404),
        ("fr", "/referrals/transparency/ministry/DE-BMI.csv", 404),
        ("uk", "/referrals/transparency/platform/PLATFORM-X", 404),
        ("de", "/referrals/transparency/platform/NOPE", 404),
        ("de.analyst", "/referrals/transparency", 403),
        ("x.admin", "/referrals/transparency/platform/PLATFORM-X", 403),
    ],
)
def test_others_get_404_or_403(signed, who, path, status):
    assert signed(who).get(path).status_code == status


def test_a_bad_period_is_a_400_naming_it(signed):
    response = signed("de").get("/referrals/transparency/ministry/DE-BMI?period=1999")
    assert response.status_code == 400
    assert "2020" in response.text


def test_the_csv_holds_the_figures_of_the_scope_only(signed):
    de = signed("de")
    response = de.get("/referrals/transparency/platform/PLATFORM-X.csv?period=2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="ischia-transparency-platform-x-2026-de-bmi.csv"'
    )
    found = rows(response)
    assert value(found, "items_referred") == "10"
    assert value(found, "time_to_action_p50_seconds", platform="PLATFORM-X") == "1800.0"
    assert value(found, "time_to_action_p90_seconds", platform="PLATFORM-X") == "7200.0"
    assert value(found, "removal_orders_within_the_hour") == "1"
    assert value(found, "items_per_week", week="2026-11-23", category="recruitment") == "1"
    assert value(found, "events_complaint") == "1"
    own = rows(signed("x").get("/referrals/transparency/platform/PLATFORM-X.csv?period=2026"))
    assert value(own, "items_referred") == "12"
    assert value(own, "time_to_action_p90_seconds", platform="PLATFORM-X") == "9000.0"


def test_csv_cells_that_a_spreadsheet_would_evaluate_are_neutralised(app, history_world):
    history_world.load(app)
    with app.app_context():
        from portal.extensions import db
        from portal.models import User
        from portal.services.principals import Reader

        reader = Reader.of(db.session.get_one(User, history_world.value.users["de"]))
        found = tf.figures(reader, "ministry", "DE-BMI", "2026", now=NOW)
    hostile = replace(found, timings=[tf.Timing('=HYPERLINK("http://x")', 1, 1.0, 2.0)])
    text = pages.csv_document(hostile)
    assert "'=HYPERLINK" in text
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for row in csv.reader(io.StringIO(text))
        for cell in row
    )
