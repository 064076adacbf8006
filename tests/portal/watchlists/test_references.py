"""Entity references in URLs: opaque, stable per organisation, useless to another."""

from __future__ import annotations

from portal.services.watchlists import references

KEY = "phone:+33612345678"


def test_a_reference_opens_for_its_organisation_only(app):
    with app.app_context():
        ref = references.reference(1, KEY)
        assert references.key_of(1, ref) == KEY
        assert references.reference(1, KEY) == ref  # stable: the same page, the same address
        assert references.key_of(2, ref) is None
        assert references.reference(2, KEY) != ref
        assert "612345678" not in ref and "phone" not in ref


def test_an_altered_or_malformed_reference_opens_nothing(app):
    with app.app_context():
        ref = references.reference(1, KEY)
        flipped = ref[:-3] + ("A" if ref[-3] != "A" else "B") + ref[-2:]
        for bad in (flipped, "", "not base64!", "A" * 500, ref[:20]):
            assert references.key_of(1, bad) is None
