"""The bulk upload pages: upload, the progress page and its JSON, storing the rows from the
page, the report and its CSV; refusals shown on the form; other organisations get 404."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.services.referrals.vocabulary import ORDER_RULE
from tests.conftest import World as Built
from tests.conftest import Worlds
from tests.portal.conftest import People, csrf_token, sign_in
from tests.portal.referrals.conftest import World

HEADER = "url,category,content_type,account,language,attributed_group,reason,hashes\n"
DATA = HEADER + (
    "https://video.example/w1,recruitment,video,,,,Call to travel,\n"
    "=SUM(A1),propaganda,video,,,,R,\n"
)
EMAILS = {
    "de": "de@de-bmi.example",
    "uk": "uk@uk-ho.example",
    "fr": "fr@fr-minint.example",
    "x": "x@platform-x.example",
}


@pytest.fixture(scope="session")
def pages_world(worlds: Worlds) -> Built[dict[str, int]]:
    return worlds.build("referral-parties", lambda app: World(app, People(app)).setup().users)


@pytest.fixture
def browser(app, pages_world):
    pages_world.load(app)
    people = People(app)
    clients = {}

    def client(who: str):
        if who not in clients:
            clients[who] = app.test_client()
            sign_in(clients[who], people, EMAILS[who])
        return clients[who]

    return client


def upload(client, data: str = DATA, **fields: str):
    page = client.get("/referrals/bulk")
    form = {
        "csrf_token": csrf_token(page.text),
        "platform": "PLATFORM-X",
        "kind": "referral",
        "label": "Action day",
        "file": (io.BytesIO(data.encode()), "day.csv"),
    }
    form.update(fields)
    return client.post("/referrals/bulk", data=form, content_type="multipart/form-data")


def test_upload_follow_and_read_the_report(browser):
    de = browser("de")
    form = de.get("/referrals/bulk")
    assert form.status_code == 200 and "PLATFORM-X" in form.text
    answer = upload(de)
    assert answer.status_code == 303
    job_url = answer.headers["Location"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    page = de.get(job_url)
    assert page.status_code == 200
    assert f'data-run-url="/referrals/bulk/{job_id}/run"' in page.text
    assert "js/referral_bulk.js" in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline script
    status = de.get(f"/referrals/bulk/{job_id}/status.json").json
    assert (status["state"], status["rows_done"], status["rows_total"]) == ("queued", 1, 2)

    ran = de.post(
        f"/referrals/bulk/{job_id}/run",
        headers={"Accept": "application/json", "X-CSRFToken": csrf_token(page.text)},
    )
    assert ran.status_code == 200
    assert (ran.json["state"], ran.json["accepted"], ran.json["refused"]) == ("done", 1, 1)
    assert de.get(f"/referrals/bulk/{job_id}/status.json").json["rows_done"] == 2
    done = de.get(job_url)
    assert "Report per row" in done.text and "data-run-url" not in done.text
    assert "=SUM(A1)" in done.text and "refused" in done.text
    report = de.get(f"/referrals/bulk/{job_id}/report.csv")
    rows = list(csv.reader(io.StringIO(report.text)))
    assert rows[2][1] == "'=SUM(A1)"
    assert "Action day" in de.get("/referrals/bulk").text  # among the recent uploads


def test_storing_without_scripts_comes_back_to_the_page(browser):
    de = browser("de")
    job_url = upload(de).headers["Location"]
    page = de.get(job_url)
    back = de.post(job_url + "/run", data={"csrf_token": csrf_token(page.text)})
    assert back.status_code == 303 and back.headers["Location"].endswith(job_url)
    assert "Report per row" in de.get(job_url).text


def test_refusals_are_shown_on_the_form(browser):
    de = browser("de")
    page = de.get("/referrals/bulk")
    missing = de.post(
        "/referrals/bulk",
        data={"csrf_token": csrf_token(page.text), "platform": "PLATFORM-X"},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400 and "Choose a CSV file" in missing.text
    bad_header = upload(de, "colour,url\nred,https://v.example/\n")
    assert bad_header.status_code == 400 and "colour" in bad_header.text
    order = upload(browser("uk"), kind="removal_order", legal_basis="Terrorism Act")
    assert order.status_code == 403 and ORDER_RULE in order.text


def test_other_organisations_and_platforms_get_nothing(browser):
    job_url = upload(browser("de")).headers["Location"]
    fr = browser("fr")
    for path in (job_url, job_url + "/status.json", job_url + "/report.csv"):
        assert fr.get(path).status_code == 404
    token = csrf_token(fr.get("/referrals/bulk").text)
    assert fr.post(job_url + "/run", data={"csrf_token": token}).status_code == 404
    x = browser("x")
    assert x.get("/referrals/bulk").status_code == 403
    assert x.get(job_url).status_code == 403
