"""The signed-in person as flask-login sees them: a user plus their server-side session.

``get_id`` returns the session token, not the user id, so the cookie names a session that the
server can end (logout, disable, timeout), after which the same cookie authenticates no one.
"""

from __future__ import annotations

from flask_login import UserMixin

from portal.extensions import login_manager
from portal.models import LoginSession, Organisation, Role, User
from portal.services import authentication


class Principal(UserMixin):  # type: ignore[misc]
    def __init__(self, user: User, session_record: LoginSession, token: str) -> None:
        self.user = user
        self.session_record = session_record
        self._token = token

    def get_id(self) -> str:
        return self._token

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def organisation(self) -> Organisation:
        return self.user.organisation

    @property
    def roles(self) -> frozenset[Role]:
        return self.user.roles

    @property
    def must_change_password(self) -> bool:
        return self.user.must_change_password

    def has_role(self, *roles: Role | str) -> bool:
        return self.user.has_role(*roles)


@login_manager.user_loader
def load_principal(token: str) -> Principal | None:
    record = authentication.resume_session(token)
    if record is None:
        return None
    return Principal(record.user, record, token)
