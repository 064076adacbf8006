"""The authentication service called directly: both factors, the per-account failure limit,
server-side sessions (resume, time-outs, end) and changing one's password, each with the audit
record it writes, and nothing written where the refusal has nothing to record."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.models import ApiToken, LoginFailure, LoginSession, User, utcnow
from portal.services.accounts import api_tokens, authentication, passwords
from portal.services.accounts import directory as accounts
from portal.services.accounts.authentication import CODE_REFUSED, LOCKED, LOGIN_REFUSED
from portal.services.errors import InvalidInput, LoginRefused, TooManyAttempts
from portal.services.principals import CLI, Actor
from tests.portal.conftest import PASSWORD
from tests.portal.service_checks import only_record, records, unchanged

EMAIL = "ana@fr.example.org"
NEW_PASSWORD = "a different, longer passphrase"
IP = "192.0.2.7"


@pytest.fixture
def ana(people) -> int:
    return people.user(EMAIL, "analyst", "liaison")


def failures(user_id: int) -> int:
    rows = db.session.scalars(select(LoginFailure).where(LoginFailure.user_id == user_id))
    return len(rows.all())


def sign_in(people, user_id: int, ip: str | None = IP, agent: str | None = "pytest"):
    """Both factors, as the two sign-in pages call them."""
    user = authentication.check_password(EMAIL, PASSWORD, ip)
    assert user.id == user_id
    return authentication.check_second_factor(user_id, people.next_code(user_id), ip, agent)


def age_session(session_id: int, **ages: timedelta) -> None:
    if not ages:
        return
    with db.write() as session:
        now = utcnow()
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == session_id)
            .values({column: now - age for column, age in ages.items()})
        )


def test_the_right_password_passes_the_first_factor_only(app, ana):
    with app.app_context():
        with unchanged():
            user = authentication.check_password(" Ana@FR.example.org ", PASSWORD, IP)
        assert user.id == ana and user.email == EMAIL


def test_a_wrong_password_is_counted_and_audited(app, ana):
    with app.app_context():
        with pytest.raises(LoginRefused) as refused:
            authentication.check_password(EMAIL, "not the right password", IP)
        assert refused.value.message == LOGIN_REFUSED and refused.value.status == 401
        assert failures(ana) == 1
        record = only_record("login.failed")
        assert record.outcome == "failure" and record.ip == IP
        assert (record.actor_user_id, record.subject_user_id) == (ana, ana)
        assert records("login.lockout") == []


def test_unknown_and_disabled_accounts_get_the_same_answer_without_a_user(app, ana):
    with app.app_context():
        accounts.set_active(CLI, ana, False)
        for email in ("Nobody@FR.example.org", EMAIL):
            with pytest.raises(LoginRefused) as refused:
                authentication.check_password(email, PASSWORD, IP)
            assert refused.value.message == LOGIN_REFUSED
        assert failures(ana) == 0  # nothing counts against an account nobody can use
        unknown, disabled = records("login.failed")
        assert unknown.actor_email == "nobody@fr.example.org" and disabled.actor_email == EMAIL
        for record in (unknown, disabled):
            assert record.outcome == "failure" and record.actor_user_id is None
            assert record.subject_user_id is None and record.ip == IP
            assert record.details == {"reason": "unknown or disabled account"}


def test_the_limit_locks_the_account_even_for_the_right_password_and_code(app, people, ana):
    app.config["LOGIN_FAILURE_LIMIT"] = 3
    with app.app_context():
        for _ in range(3):
            with pytest.raises(LoginRefused):
                authentication.check_password(EMAIL, "wrong password, again", IP)
        assert only_record("login.lockout").subject_user_id == ana  # once, at the limit
        assert failures(ana) == 3
        with pytest.raises(TooManyAttempts) as refused:
            authentication.check_password(EMAIL, PASSWORD, IP)
        assert refused.value.message == LOCKED.format(wait="60 seconds")
        assert refused.value.status == 429 and refused.value.retry_after == 60
        with pytest.raises(TooManyAttempts):
            authentication.check_second_factor(ana, people.next_code(ana), IP, None)
        locked = records("login.locked")
        assert [(r.outcome, r.subject_user_id) for r in locked] == [("failure", ana)] * 2
        assert failures(ana) == 3  # a locked attempt does not extend the lock
        assert db.session.scalars(select(LoginSession)).all() == []
        # Failures older than the window no longer count.
        with db.write() as session:
            session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
        assert authentication.check_password(EMAIL, PASSWORD, IP).id == ana
        # Those older than a day are deleted at the address's next failure.
        with db.write() as session:
            session.execute(update(LoginFailure).values(at=utcnow() - timedelta(hours=25)))
        with pytest.raises(LoginRefused):
            authentication.check_password(EMAIL, "wrong password, again", IP)
        assert failures(ana) == 1


def test_the_wait_doubles_with_each_failure_past_the_limit(app, ana):
    """Past the limit, each failure from the same address doubles the wait (1, 2, 4 minutes...)
    up to the window; an attempt refused while waiting is not counted."""
    app.config["LOGIN_FAILURE_LIMIT"] = 2
    with app.app_context():
        waits = []
        for _ in range(5):
            try:
                authentication.check_password(EMAIL, "wrong password, again", IP)
            except TooManyAttempts as refused:
                waits.append(refused.retry_after)
                # Time passes: the failures were just long enough ago.
                with db.write() as session:
                    session.execute(
                        update(LoginFailure).values(
                            at=utcnow() - timedelta(seconds=refused.retry_after + 1)
                        )
                    )
            except LoginRefused:
                waits.append(0)
        assert waits == [0, 0, 60, 0, 120]
        assert failures(ana) == 3


def test_many_failures_from_everywhere_close_the_address_to_new_clients_only(app, people, ana):
    """The daily ceiling (NIST SP 800-63B: at most 100) counts failures from every address:
    past it, a client that never signed in to the account waits, the user's own does not; an
    unknown address is closed to everyone, as an account is to strangers."""
    app.config["LOGIN_ACCOUNT_CEILING"] = 4
    with app.app_context():
        sign_in(people, ana, ip="198.51.100.7")
        for number, email in enumerate([EMAIL] * 4 + ["nobody@fr.example.org"] * 4):
            with pytest.raises(LoginRefused):
                authentication.check_password(email, "wrong password", f"203.0.113.{number}")
        for email in (EMAIL, "nobody@fr.example.org"):
            with pytest.raises(TooManyAttempts) as refused:
                authentication.check_password(email, PASSWORD, "203.0.113.99")
            assert refused.value.retry_after == 15 * 60
        assert authentication.check_password(EMAIL, PASSWORD, "198.51.100.7").id == ana


def test_the_user_between_the_two_steps_must_still_be_active(app, ana):
    with app.app_context(), unchanged():
        pending = authentication.pending_user(ana)
        assert pending is not None and pending.id == ana
        assert authentication.pending_user(ana + 1000) is None
    with app.app_context():
        accounts.set_active(CLI, ana, False)  # disabled between the password and the code
        with unchanged():
            assert authentication.pending_user(ana) is None


def test_a_password_hashed_with_older_costs_is_rehashed_on_sign_in(app, ana):
    with app.app_context():
        before = db.session.get_one(User, ana).password_hash
    app.config["ARGON2_TIME_COST"] += 1
    with app.app_context():
        authentication.check_password(EMAIL, PASSWORD, IP)
        after = db.session.get_one(User, ana).password_hash
        assert after != before and not passwords.needs_rehash(after)
        assert passwords.verify_password(after, PASSWORD)


def test_the_second_factor_starts_a_server_side_session(app, people, ana):
    with app.app_context():
        started = sign_in(people, ana, agent="x" * 500)
        row = db.session.scalars(select(LoginSession)).one()
        assert row.token_hash == hashlib.sha256(started.token.encode()).digest()
        assert (row.user_id, row.ip, row.ended_at) == (ana, IP, None)
        assert row.user_agent == "x" * 300
        live = started.record
        assert (live.id, live.user_id, live.email, live.ip) == (row.id, ana, EMAIL, IP)
        assert live.organisation.code == "FR-MININT"
        assert {role.value for role in live.roles} == {"analyst", "liaison"}
        record = only_record("login.success")
        assert (record.outcome, record.subject_user_id, record.ip) == ("success", ana, IP)
        assert records("mfa.enrolled") == []  # enrolled already


def test_a_wrong_or_replayed_code_is_refused_and_counted(app, people, ana):
    with app.app_context():
        code = people.next_code(ana)
        authentication.check_second_factor(ana, code, IP, None)
        for bad in (code, "12345", "abcdef"):
            with pytest.raises(InvalidInput) as refused:
                authentication.check_second_factor(ana, bad, IP, None)
            assert refused.value.message == CODE_REFUSED and refused.value.field == "code"
        assert failures(ana) == 3
        assert [r.outcome for r in records("login.mfa_failed")] == ["failure"] * 3
        assert len(db.session.scalars(select(LoginSession)).all()) == 1


def test_no_second_factor_for_an_unknown_or_disabled_user(app, people, ana):
    with app.app_context():
        code = people.next_code(ana)
        accounts.set_active(CLI, ana, False)
        for user_id in (ana, ana + 1000):
            with unchanged(), pytest.raises(LoginRefused):
                authentication.check_second_factor(user_id, code, IP, None)
            with unchanged(), pytest.raises(LoginRefused):
                authentication.prepare_enrolment(user_id)


def test_first_sign_in_enrols_the_seed_it_was_given(app, people):
    user_id = people.user(EMAIL, "analyst", enrolled=False)
    with app.app_context():
        user = authentication.prepare_enrolment(user_id)
        seed = user.totp_secret_sealed
        assert seed is not None and user.totp_confirmed is False
        with unchanged():  # a second visit keeps the same seed
            assert authentication.prepare_enrolment(user_id).totp_secret_sealed == seed
        sign_in(people, user_id)
        assert db.session.get_one(User, user_id).totp_confirmed is True
        enrolled = only_record("mfa.enrolled")
        assert enrolled.subject_user_id == user_id and enrolled.outcome == "success"
        with unchanged():  # an enrolled user's seed is never replaced
            assert authentication.prepare_enrolment(user_id).totp_secret_sealed == seed


def test_a_live_session_resumes_and_unknown_or_ended_ones_do_not(app, people, ana):
    with app.app_context():
        started = sign_in(people, ana)
        with unchanged():  # seen a moment ago: nothing to write
            live = authentication.resume_session(started.token)
        assert live is not None and live.id == started.record.id and live.email == EMAIL
        assert authentication.resume_session("not a token we gave") is None
        age_session(live.id, last_seen_at=timedelta(minutes=2))
        again = authentication.resume_session(started.token)
        assert again is not None and utcnow() - again.last_seen_at < timedelta(seconds=5)
        stored = db.session.get_one(LoginSession, live.id, populate_existing=True)
        assert stored.last_seen_at == again.last_seen_at
        authentication.end_session(live.id, "logout", Actor(ana, EMAIL, None, IP))
        with unchanged():
            assert authentication.resume_session(started.token) is None


@pytest.mark.parametrize(
    ("reason", "ages"),
    [
        ("idle_timeout", {"last_seen_at": timedelta(minutes=16)}),
        ("absolute_timeout", {"created_at": timedelta(hours=13)}),
        ("user_disabled", {}),
    ],
)
def test_a_timed_out_or_disabled_session_ends_on_record(app, people, ana, reason, ages):
    with app.app_context():
        started = sign_in(people, ana)
        if reason == "user_disabled":
            with db.write() as session:  # as if disabled by another worker's transaction
                session.execute(update(User).where(User.id == ana).values(active=False))
        age_session(started.record.id, **ages)
        assert authentication.resume_session(started.token) is None
        row = db.session.get_one(LoginSession, started.record.id, populate_existing=True)
        assert row.end_reason == reason and row.ended_at is not None
        record = only_record("session.ended")
        assert record.details == {"reason": reason} and record.subject_user_id == ana
        assert record.actor_user_id == ana and record.ip == IP


def test_logout_is_recorded_once(app, people, ana):
    with app.app_context():
        started = sign_in(people, ana)
        actor = Actor(ana, EMAIL, None, IP)
        authentication.end_session(started.record.id, "logout", actor)
        record = only_record("logout")
        assert record.details == {"reason": "logout"} and record.actor_user_id == ana
        with unchanged():
            authentication.end_session(started.record.id, "logout", actor)
            authentication.end_session(started.record.id + 1000, "logout", actor)


def test_ending_all_sessions_also_revokes_api_tokens(app, people, ana):
    with app.app_context():
        first, second = sign_in(people, ana), sign_in(people, ana)
        user = db.session.get_one(User, ana)
        api_tokens.create(user, CLI, "scripts")
        with db.write() as session:
            ended = authentication.end_all_sessions(session, user, "mfa_reset")
        assert ended == 2
        for started in (first, second):
            assert authentication.resume_session(started.token) is None
        rows = db.session.scalars(select(LoginSession).execution_options(populate_existing=True))
        assert {row.end_reason for row in rows} == {"mfa_reset"}
        assert db.session.scalars(select(ApiToken)).one().revoked_at is not None


def test_changing_the_password_keeps_this_session_and_ends_the_others(app, people, ana):
    with app.app_context():
        this, other = sign_in(people, ana), sign_in(people, ana)
        api_tokens.create(db.session.get_one(User, ana), CLI, "scripts")
        authentication.change_password(
            ana, PASSWORD, NEW_PASSWORD, IP, keep_session_id=this.record.id
        )
        user = db.session.get_one(User, ana, populate_existing=True)
        assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
        assert user.must_change_password is False
        assert authentication.resume_session(this.token) is not None
        assert authentication.resume_session(other.token) is None
        assert db.session.scalars(select(ApiToken)).one().revoked_at is not None
        record = only_record("password.changed")
        assert record.details == {"api_tokens_revoked": 1}
        assert (record.actor_user_id, record.subject_user_id, record.ip) == (ana, ana, IP)


def test_a_refused_password_change_writes_nothing(app, people, ana):
    with app.app_context():
        sign_in(people, ana)
        for current, new, field in [
            ("not the right password", NEW_PASSWORD, "current_password"),
            (PASSWORD, "short", "new_password"),
            (PASSWORD, "password1234", "new_password"),  # too common
            (PASSWORD, PASSWORD, "new_password"),  # the same again
        ]:
            with unchanged(), pytest.raises(InvalidInput) as refused:
                authentication.change_password(ana, current, new, IP)
            assert refused.value.field == field, new
        with unchanged(), pytest.raises(LoginRefused):
            authentication.change_password(ana + 1000, PASSWORD, NEW_PASSWORD, IP)
