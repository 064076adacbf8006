"""The command line: users, organisations, demo data; errors name the field."""

from __future__ import annotations

import pyotp
from sqlalchemy import func, select

from portal.demo import seeding as demo
from portal.extensions import db
from portal.models import AuditRecord, Organisation, Role, User
from portal.services.accounts import directory as accounts
from portal.services.accounts import mfa


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_orgs_create_and_list(runner):
    result = runner.invoke(
        args=["orgs", "create", "--code", "FR-MININT", "--name", "Intérieur", "--country", "FR"]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["orgs", "list"])
    assert "FR-MININT" in listing.output and "member" in listing.output


def test_orgs_create_refuses_bad_input_naming_the_field(app, runner):
    result = runner.invoke(args=["orgs", "create", "--code", "fr minint", "--name", "X"])
    assert result.exit_code != 0
    assert "--code" in result.output
    result = runner.invoke(
        args=["orgs", "create", "--code", "FR", "--name", "X", "--country", "France"]
    )
    assert "--country" in result.output
    result = runner.invoke(args=["orgs", "create", "--code", "FR", "--name", "X", "--kind", "club"])
    assert result.exit_code == 2 and "--kind" in result.output
    assert count(app, Organisation) == 0


def test_users_create_with_password_from_stdin_and_totp_uri(app, runner, people):
    people.org("FR-MININT")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            "FR-MININT",
            "--email",
            "Ana@FR.example.org",
            "--role",
            "analyst",
            "--role",
            "official",
            "--password-stdin",
            "--print-totp-uri",
        ],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    uri = result.output.strip().splitlines()[-1]
    assert uri.startswith("otpauth://totp/Ischia:ana%40fr.example.org?")
    with app.app_context():
        user = accounts.user_by_email("ana@fr.example.org")
        assert user.roles == {Role.ANALYST, Role.OFFICIAL}
        assert user.totp_confirmed and not user.must_change_password
        assert pyotp.parse_uri(uri).secret == mfa.secret(user)


def test_users_create_without_password_prints_a_temporary_one(app, runner, people):
    people.org("FR-MININT")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            "FR-MININT",
            "--email",
            "b@fr.example.org",
            "--role",
            "liaison",
        ]
    )
    assert result.exit_code == 0
    assert "temporary password" in result.output
    with app.app_context():
        assert accounts.user_by_email("b@fr.example.org").must_change_password


def test_users_create_errors_name_the_field_and_write_nothing(app, runner, people):
    people.org("FR-MININT")
    before = (count(app, User), count(app, AuditRecord))
    cases = [
        (["--org", "XX-NONE", "--email", "c@fr.example.org", "--role", "analyst"], "--org"),
        (["--org", "FR-MININT", "--email", "not an email", "--role", "analyst"], "--email"),
        (["--org", "FR-MININT", "--email", "c@fr.example.org", "--role", "wizard"], "--role"),
        (
            ["--org", "FR-MININT", "--email", "c@fr.example.org", "--role", "platform_liaison"],
            "--roles",
        ),
    ]
    for args, field in cases:
        result = runner.invoke(args=["users", "create", *args])
        assert result.exit_code != 0, args
        assert field in result.output, (args, result.output)
    weak = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            "FR-MININT",
            "--email",
            "c@fr.example.org",
            "--role",
            "analyst",
            "--password-stdin",
        ],
        input="password\n",
    )
    assert weak.exit_code != 0 and "--password" in weak.output
    assert (count(app, User), count(app, AuditRecord)) == before


def test_users_disable_and_enable(app, runner, people):
    people.user("ana@fr.example.org", "analyst")
    assert runner.invoke(args=["users", "disable", "ana@fr.example.org"]).exit_code == 0
    with app.app_context():
        assert not accounts.user_by_email("ana@fr.example.org").active
    assert runner.invoke(args=["users", "enable", "ana@fr.example.org"]).exit_code == 0
    missing = runner.invoke(args=["users", "disable", "ghost@fr.example.org"])
    assert missing.exit_code != 0 and "--email" in missing.output


# The demo's organisations and people only: no bulletins, referrals or hash banks.
SEED_PEOPLE_ONLY = ("seed-demo", "--bulletins", "0", "--referrals", "0", "--hashes", "0")


def test_seed_demo_creates_the_g7_observers_and_platforms_once(app, runner):
    result = runner.invoke(args=[*SEED_PEOPLE_ONLY])
    assert result.exit_code == 0, result.output
    with app.app_context():
        codes = set(db.session.scalars(select(Organisation.code)))
        assert codes == {
            "US-DHS",
            "JP-NPA",
            "DE-BMI",
            "FR-MININT",
            "CA-PS",
            "UK-HO",
            "IT-MININT",
            "EU-HOME",
            "INTERPOL",
            "META",
            "GOOGLE",
            "X-CORP",
            "MICROSOFT",
        }
        fr_roles = {
            r
            for u in db.session.scalars(
                select(User).join(Organisation).where(Organisation.code == "FR-MININT")
            )
            for r in u.roles
        }
        assert {Role.LIAISON, Role.ANALYST, Role.OFFICIAL, Role.ORG_ADMIN} <= fr_roles
        meta = accounts.user_by_email(demo.demo_email(Role.PLATFORM_LIAISON, "META"))
        assert meta.organisation.code == "META"
    before = (count(app, Organisation), count(app, User), count(app, AuditRecord))
    again = runner.invoke(args=[*SEED_PEOPLE_ONLY])
    assert again.exit_code == 0 and "0 organisations and 0 users" in again.output
    assert (count(app, Organisation), count(app, User), count(app, AuditRecord)) == before


def test_demo_codes_only_in_demo_mode_and_only_for_demo_users(app, runner, people):
    runner.invoke(args=[*SEED_PEOPLE_ONLY])
    email = demo.demo_email(Role.ANALYST, "FR-MININT")
    refused = runner.invoke(args=["demo", "totp", email])
    assert refused.exit_code != 0 and "demo mode" in refused.output
    app.config["DEMO"] = True
    code = runner.invoke(args=["demo", "totp", email])
    assert code.exit_code == 0
    with app.app_context():
        assert code.output.strip() == mfa.current_code(accounts.user_by_email(email))
    people.user("real@fr.example.org", "analyst")
    real = runner.invoke(args=["demo", "totp", "real@fr.example.org"])
    assert real.exit_code != 0 and "not a demo user" in real.output


def test_seed_demo_is_refused_in_production(app, runner):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0 and "production" in result.output
    assert count(app, Organisation) == 0


def test_demo_mode_shows_the_code_on_the_verify_page(app, client, auth, runner):
    runner.invoke(args=[*SEED_PEOPLE_ONLY])
    app.config["DEMO"] = True
    auth.password_step(demo.demo_email(Role.ANALYST, "FR-MININT"), demo.DEMO_PASSWORD)
    page = client.get("/login/verify")
    assert "data-demo-code" in page.text
