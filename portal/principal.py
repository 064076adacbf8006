"""The signed-in person as flask-login sees them: a live server-side session and its user.

``get_id`` returns the session token, not the user id, so the cookie names a session that the
server can end (logout, disable, timeout), after which the same cookie authenticates no one.

Every request resumes the session with one query of plain values (see
``authentication.resume_session``); the ``User`` model is loaded only if a view asks for
``user``, so that pages which only show who is signed in do not pay for it.
"""

from __future__ import annotations

from functools import cached_property

from flask import request
from flask_login import UserMixin, current_user

from portal.extensions import db, login_manager
from portal.models import Role, User
from portal.services.accounts import authentication
from portal.services.accounts.authentication import LiveSession, OrganisationSummary
from portal.services.errors import NotFound
from portal.services.principals import Actor, Reader


class Principal(UserMixin):
    def __init__(self, user: User | None, session_record: LiveSession, token: str) -> None:
        """``user`` is the model when the caller already holds it (at sign-in), else None."""
        if user is not None:
            self.user = user
        self.session_record = session_record
        self._token = token

    @cached_property
    def user(self) -> User:
        """The user's model, loaded on first use within the request."""
        return db.session.get_one(User, self.session_record.user_id)

    def get_id(self) -> str:
        return self._token

    @property
    def id(self) -> int:
        return self.session_record.user_id

    @property
    def email(self) -> str:
        return self.session_record.email

    @property
    def name(self) -> str:
        return self.session_record.name

    @property
    def organisation(self) -> OrganisationSummary:
        return self.session_record.organisation

    @property
    def roles(self) -> frozenset[Role]:
        return self.session_record.roles

    @property
    def language(self) -> str | None:
        """The language this person chose (portal/i18n.py), or None for the browser's."""
        return self.session_record.language

    @property
    def must_change_password(self) -> bool:
        return self.session_record.must_change_password

    def actor(self, ip: str | None) -> Actor:
        """Who is acting, for the audit trail, without loading the User model."""
        return Actor(self.id, self.email, self.organisation.id, ip)

    def reader(self) -> Reader:
        """Who is asking, for the bulletin services, without loading the User model."""
        org = self.organisation
        return Reader(self.id, self.email, org.id, org.code, org.kind, org.country, self.roles)

    def has_role(self, *roles: Role | str) -> bool:
        """True if the user holds any of ``roles`` (given as Role members or their values)."""
        return not self.session_record.roles.isdisjoint(Role(r) for r in roles)


@login_manager.user_loader
def load_principal(token: str) -> Principal | None:
    live = authentication.resume_session(token)
    if live is None:
        return None
    return Principal(None, live, token)


def current_reader(*, bulletins: bool = False) -> Reader:
    """The signed-in user as the services' :class:`Reader`.

    With ``bulletins=True`` a platform partner, who has no bulletins, gets a 404, as for any
    bulletin that is not theirs.
    """
    reader: Reader = current_user.reader()
    if bulletins and not reader.sees_bulletins:
        raise NotFound()
    return reader


def current_actor() -> Actor:
    """The signed-in user as the audit trail's :class:`Actor`, with the client's address."""
    actor: Actor = current_user.actor(request.remote_addr)
    return actor
