"""A second baseline for the throughput figure: the least any signed-in page of this stack does.

Flask, flask-login with ``session_protection = "strong"`` and Flask's signed cookie session, and
SQLAlchemy loading the signed-in user by primary key from a SQLite file on every request; the
page is one line of text. No CSRF token, security headers, server-side session record, timeout,
roles, audit or template: everything the portal's pages add on top of this is left out, so this
app's requests/s bounds from above what any page meeting issue 2's session rules can reach.

``FLOOR_DATABASE_URL=sqlite:///... SECRET_KEY=... gunicorn -w 2 --chdir bench
session_floor_app:app``; ``POST /sign-in`` signs anyone in as user 1: a benchmark baseline on
127.0.0.1, never to be served anywhere else.
"""

from __future__ import annotations

import os

from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    select,
)

metadata = MetaData()
users = Table(
    "floor_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False),
)
_BY_ID = select(users.c.id, users.c.name).where(users.c.id == bindparam("id"))


def create_database(url: str) -> None:
    engine = create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(users.delete())
        connection.execute(users.insert(), {"id": 1, "name": "Bench Analyst"})
    engine.dispose()


class User(UserMixin):  # type: ignore[misc]
    def __init__(self, user_id: int, name: str) -> None:
        self.id = user_id
        self.name = name


app = Flask(__name__)
# No default: without SECRET_KEY, Flask refuses to keep a session and nobody signs in.
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
engine = create_engine(os.environ.get("FLOOR_DATABASE_URL", "sqlite://"))
login_manager = LoginManager(app)
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(_BY_ID, {"id": int(user_id)}).first()
    return None if row is None else User(row.id, row.name)


@app.post("/sign-in")
def sign_in() -> str:
    user = load_user("1")
    assert user is not None
    login_user(user)
    return "signed in"


@app.route("/")
@login_required
def page() -> str:
    return f"Hello, {current_user.name}"
