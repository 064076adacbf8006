"""Saved inbox filters: saved from the inbox, listed, used for a briefing, deleted; identifiers
are never saved, and one user's filters are nobody else's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import SavedFilter
from tests.portal.briefings.pdf_text import page_texts
from tests.portal.bulletins.sessions import Clients


@pytest.fixture
def clients(app, people, desk):
    return Clients(app, people)


def _save(clients, who="fr.analyst", **fields):
    data = {"csrf_token": clients.token(who)} | fields
    return clients[who].post("/bulletins/filters", data=data)


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SavedFilter))


def test_a_saved_filter_is_listed_and_opens_the_inbox_with_it(app, clients):
    response = _save(clients, name="Financing, RED", category="financing", marking="TLP:RED")
    assert response.status_code == 302
    assert "category=financing" in response.headers["Location"]
    page = clients["fr.analyst"].get("/bulletins/")
    assert "Financing, RED" in page.text and "marking=TLP:RED" in page.text
    assert _count(app) == 1


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"name": ""}, 400, "Name the filter."),
        ({"name": "x" * 101}, 400, "at most 100"),
        ({"name": "Mine", "entity": "@example_media"}, 400, "never stores identifiers"),
        ({"name": "Mine", "category": "gardening"}, 400, "could not be used"),
        ({"name": "Mine", "since": "2026-05-02", "until": "2026-05-01"}, 400, "before the start"),
    ],
)
def test_bad_filters_are_refused_with_a_message_and_nothing_saved(
    app, clients, fields, status, message
):
    response = _save(clients, **fields)
    assert response.status_code == status
    assert message in response.text
    assert _count(app) == 0


def test_a_second_filter_with_the_same_name_is_a_conflict(app, clients):
    assert _save(clients, name="Weekly").status_code == 302
    again = _save(clients, name="Weekly", category="financing")
    assert again.status_code == 409 and "already have a filter named" in again.text
    assert _count(app) == 1


def test_filters_belong_to_their_user(app, clients):
    _save(clients, name="Private")
    with app.app_context():
        filter_id = db.session.scalars(select(SavedFilter.id)).one()
    other = clients["de.analyst"]
    assert "Private" not in other.get("/bulletins/").text
    token = clients.token("de.analyst")
    deleted = other.post(f"/bulletins/filters/{filter_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 404
    assert other.get(f"/briefings/?saved={filter_id}").status_code == 404
    assert _count(app) == 1
    own = clients["fr.analyst"].post(
        f"/bulletins/filters/{filter_id}/delete", data={"csrf_token": clients.token("fr.analyst")}
    )
    assert own.status_code == 302 and _count(app) == 0


def test_a_briefing_by_saved_filter_takes_what_the_filter_matches(desk, clients, tmp_path):
    desk.post(title="Money moved through hawala", category="financing")
    desk.post(title="Recruiting on campus", category="recruitment")
    _save(clients, name="Money", category="financing")
    with clients.app.app_context():
        filter_id = db.session.scalars(select(SavedFilter.id)).one()
    page = clients["fr.analyst"].get(f"/briefings/?saved={filter_id}")
    assert page.status_code == 200
    assert re.search(r'<input checked[^>]*value="filter"', page.text)
    assert "Money moved through hawala" in page.text and "Recruiting on campus" not in page.text
    data = {
        "csrf_token": clients.token("fr.analyst"),
        "title": "Financing brief",
        "source": "filter",
        "category": "financing",
        "box": "all",
    }
    response = clients["fr.analyst"].post("/briefings/", data=data)
    assert response.status_code == 200, response.text
    path = tmp_path / "money.pdf"
    path.write_bytes(response.data)
    text = "".join(page_texts(path))
    assert "Money moved through hawala" in text and "Recruiting on campus" not in text
