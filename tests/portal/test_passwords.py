"""Password policy: length in characters, Unicode, common passwords refused."""

from __future__ import annotations

import pytest

from portal.services.accounts import passwords
from portal.services.errors import InvalidInput


@pytest.mark.parametrize(
    "candidate",
    [
        "correct horse battery staple",
        "это достаточно длинный пароль",
        "مرحبا بكم في إسكيا الآمنة",
        "パスワードはとても長いです",
        "x" * 11 + "y",
    ],
)
def test_acceptable_passwords(candidate):
    assert passwords.check_policy(candidate) == passwords.normalise(candidate)


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        ("short", "at least 12"),
        ("a" * 129, "at most 128"),
        ("password1234", "too common"),
        ("Password1234!", "too common"),
        ("qwertyuiop123", "too common"),
        ("iloveyou2026!!", "too common"),
        ("abcabcabcabc", "too common"),
        ("zzzzzzzzzzzzzz", "too common"),
    ],
)
def test_refused_passwords(candidate, message):
    with pytest.raises(InvalidInput, match=message):
        passwords.check_policy(candidate)


def test_length_counts_characters_not_bytes():
    assert passwords.check_policy("ééééééééééé1") == "ééééééééééé1"  # 12 characters, 23 bytes
    with pytest.raises(InvalidInput):
        passwords.check_policy("éééééééééé1")  # 11 characters


def test_a_password_containing_the_email_name_is_refused():
    with pytest.raises(InvalidInput, match="e-mail"):
        passwords.check_policy("marie.curie was here", email="marie.curie@fr.example.org")


def test_argon2id_with_the_configured_cost(app):
    with app.app_context():
        hashed = passwords.hash_password("correct horse battery staple")
        assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.verify_password(hashed, "correct horse battery staple")
        assert not passwords.verify_password(hashed, "correct horse battery stapl")
        assert not passwords.verify_password("not a hash", "anything")
        app.config["ARGON2_MEMORY_COST_KIB"] = 65536
        assert passwords.needs_rehash(hashed)


def test_the_common_list_is_shipped_and_large():
    common = passwords.common_passwords()
    assert len(common) > 19000
    assert "password" in common and "123456" in common
