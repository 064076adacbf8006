"""The hash bank pages: the list, matching by pasted hash and by image, a bank's entries,
adding (the bad line named, nothing stored) and removing them, the CSV export, and 404 for a
bank the organisation may not read. The CLI that administers banks."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import HashEntry
from portal.services.hashbanks.hashing import hash_image
from tests.portal.conftest import csrf_token
from tests.portal.hashbanks.conftest import picture

EMAIL = {
    "de": "de@de-bmi.example",
    "x": "x@platform-x.example",
    "y": "y@platform-y.example",
    "de.analyst": "de.analyst@de-bmi.example",
}


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(HashEntry.id)))


def test_a_liaison_officer_adds_entries_and_a_platform_matches_them(app, client, auth, bw):
    auth.sign_in(EMAIL["de"])
    page = client.get(f"/hash-banks/{bw.de_bank}")
    assert page.status_code == 200 and "Add entries" in page.text
    token = csrf_token(page.text)
    png = picture(seed=21)
    bad = client.post(
        f"/hash-banks/{bw.de_bank}/entries",
        data={"csrf_token": token, "kind": "pdq", "hashes": "0" * 64 + "\nnot-a-hash"},
    )
    assert bad.status_code == 400 and "Line 2: A PDQ hash is 64 hexadecimal digits." in bad.text
    assert entries(app) == 0
    not_image = client.post(
        f"/hash-banks/{bw.de_bank}/entries",
        data={"csrf_token": token, "kind": "pdq", "images": (io.BytesIO(b"text"), "a.png")},
        content_type="multipart/form-data",
    )
    assert not_image.status_code == 400 and "not an image" in not_image.text
    added = client.post(
        f"/hash-banks/{bw.de_bank}/entries",
        data={
            "csrf_token": token,
            "kind": "md5",
            "hashes": "ab" * 16,
            "label": "=HYPERLINK(1)",
            "images": (io.BytesIO(png), "still.png"),
        },
        content_type="multipart/form-data",
    )
    assert added.status_code == 302, added.text
    assert entries(app) == 4  # the pasted MD5, and the image's PDQ, SHA-256 and MD5
    export = client.get(f"/hash-banks/{bw.de_bank}/export.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "'=HYPERLINK(1)" in export.text and "\n=" not in export.text
    listing = client.get(f"/hash-banks/{bw.de_bank}").text
    entry_ids = re.findall(rf"/hash-banks/{bw.de_bank}/entries/(\d+)/remove", listing)
    assert len(entry_ids) == 4
    removed = client.post(
        f"/hash-banks/{bw.de_bank}/entries/{entry_ids[-1]}/remove",
        data={"csrf_token": csrf_token(listing)},
    )
    assert removed.status_code == 302
    assert (
        len(re.findall(r"/entries/\d+/remove", client.get(f"/hash-banks/{bw.de_bank}").text)) == 3
    )

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    auth.sign_in(EMAIL["x"])
    home = client.get("/hash-banks/")
    assert home.status_code == 200 and "DE images" in home.text
    bank_page = client.get(f"/hash-banks/{bw.de_bank}")
    assert bank_page.status_code == 200 and "Add entries" not in bank_page.text
    matched = client.post(
        "/hash-banks/match",
        data={
            "csrf_token": csrf_token(home.text),
            "image": (io.BytesIO(picture(seed=21, fmt="JPEG", quality=75)), "q.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert matched.status_code == 200
    assert re.search(r'<td dir="auto" class="distance">\d+</td>', matched.text)
    with app.app_context():
        pdq = hash_image(png).pdq
    pasted = client.post(
        "/hash-banks/match",
        data={"csrf_token": csrf_token(home.text), "kind": "pdq", "hashes": pdq},
    )
    assert '<td dir="auto" class="distance">0</td>' in pasted.text
    refused = client.post(
        "/hash-banks/match",
        data={"csrf_token": csrf_token(home.text), "kind": "pdq", "hashes": "12345"},
    )
    assert refused.status_code == 400 and "64 hexadecimal digits" in refused.text
    # A reader may not change the bank.
    assert (
        client.post(
            f"/hash-banks/{bw.de_bank}/entries",
            data={"csrf_token": csrf_token(home.text), "kind": "md5", "hashes": "cd" * 16},
        ).status_code
        == 403
    )


def test_a_bank_not_shared_is_404_on_every_page(client, auth, bw):
    auth.sign_in(EMAIL["y"])
    token = csrf_token(client.get("/hash-banks/").text)
    assert client.get(f"/hash-banks/{bw.de_bank}").status_code == 404
    assert client.get(f"/hash-banks/{bw.x_bank}/export.csv").status_code == 404
    posted = client.post(
        f"/hash-banks/{bw.de_bank}/entries",
        data={"csrf_token": token, "kind": "md5", "hashes": "cd" * 16},
    )
    assert posted.status_code == 404
    assert (
        client.post(
            f"/hash-banks/{bw.de_bank}/entries/1/remove", data={"csrf_token": token}
        ).status_code
        == 404
    )


def test_the_cli_creates_banks_and_names_readers(app, runner, bw):
    made = runner.invoke(args=["hashbanks", "create", "--owner", "FR-MININT", "--name", "FR"])
    assert made.exit_code == 0, made.output
    bank_id = int(re.search(r"created hash bank (\d+)", made.output).group(1))
    assert runner.invoke(args=["hashbanks", "grant", str(bank_id), "platform-y"]).exit_code == 0
    listed = runner.invoke(args=["hashbanks", "list"]).output
    assert re.search(rf"{bank_id}\s+FR-MININT\s+0 FR\s+\[PLATFORM-Y\]", listed)
    assert runner.invoke(args=["hashbanks", "revoke", str(bank_id), "PLATFORM-Y"]).exit_code == 0
    assert "[]" in runner.invoke(args=["hashbanks", "list"]).output.splitlines()[-1]
    refused = runner.invoke(args=["hashbanks", "create", "--owner", "NOPE", "--name", "n"])
    assert refused.exit_code != 0 and "--owner" in refused.output
    again = runner.invoke(args=["hashbanks", "create", "--owner", "FR-MININT", "--name", "FR"])
    assert again.exit_code != 0 and "--name" in again.output
