"""The key directory: every ministry's current fingerprint, the one the verification panel shows."""

from __future__ import annotations

from portal.services.bulletins import reading
from portal.services.principals import Actor


def test_directory_lists_fingerprints_that_match_the_verification_panel(app, client, auth, desk):
    bulletin_id = desk.post()
    with app.app_context():
        reader = desk.reader("fr.analyst")
        seal = reading.read_bulletin(reader, Actor(reader.user_id), bulletin_id).seal
    auth.sign_in("analyst@fr.example")
    page = client.get("/bulletins/keys")
    assert page.status_code == 200
    for code in ("IT-MININT", "FR-MININT", "DE-BMI", "UK-HO"):
        assert code in page.text
    assert seal.sender_fingerprint in page.text
    assert "PLATFORM-X" not in page.text  # platforms hold no bulletin keys


def test_platform_partners_do_not_see_the_directory(client, auth, desk):
    auth.sign_in("trust@platform.example")
    assert client.get("/bulletins/keys").status_code == 404
