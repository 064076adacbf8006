"""Configuration from the environment, with embedded defaults and refusals."""

from __future__ import annotations

import os
import stat

import pytest

from portal import config as settings
from portal.config import ConfigError


def test_embedded_defaults_need_no_environment(tmp_path):
    config = settings.from_environment({}, tmp_path / "instance")
    settings.finalise(config)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'ischia.db'}"
    secret_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert config["SECRET_KEY"] == secret_file.read_text().strip()
    again = settings.from_environment({}, tmp_path / "instance")
    assert again["SECRET_KEY"] == config["SECRET_KEY"]
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["SESSION_COOKIE_NAME"] == "ischia_session"


def test_environment_overrides(tmp_path):
    config = settings.from_environment(
        {
            "DATABASE_URL": "postgresql://u@db.internal/ischia",
            "SECRET_KEY": "from-env",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ISCHIA_MASTER_KEY_FILE": "/run/secrets/ischia.key",
        },
        tmp_path,
    )
    settings.finalise(config)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/ischia"
    assert config["SECRET_KEY"] == "from-env"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert config["MASTER_KEY_FILE"] == "/run/secrets/ischia.key"
    assert not (tmp_path / "secret_key").exists()


def test_production_uses_host_prefixed_secure_cookies(tmp_path):
    config = settings.from_environment({"ISCHIA_PRODUCTION": "1", "SECRET_KEY": "s"}, tmp_path)
    settings.finalise(config)
    assert config["SESSION_COOKIE_NAME"] == "__Host-ischia_session"
    assert config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_a_missing_secret_and_demo_mode(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        settings.from_environment({"ISCHIA_PRODUCTION": "1"}, tmp_path)
    config = settings.from_environment(
        {"ISCHIA_PRODUCTION": "1", "SECRET_KEY": "s", "ISCHIA_DEMO": "1"}, tmp_path
    )
    with pytest.raises(ConfigError, match="demo"):
        settings.finalise(config)


def test_weak_argon2_parameters_are_refused(tmp_path):
    config = settings.defaults(tmp_path) | {"SECRET_KEY": "s", "ARGON2_MEMORY_COST_KIB": 4096}
    with pytest.raises(ConfigError, match="Argon2id"):
        settings.finalise(config)


def test_the_app_creates_a_0600_master_key_file_on_first_run(database_url, tmp_path):
    from portal import create_app

    key_file = tmp_path / "master.key"
    app = create_app(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MASTER_KEY_FILE": str(key_file),
        }
    )
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    [first] = app.extensions["ischia.master_keys"]
    again = create_app(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MASTER_KEY_FILE": str(key_file),
        }
    )
    assert again.extensions["ischia.master_keys"] == [first] and len(first) == 32
    for application in (app, again):
        application.extensions["ischia.engine"].dispose()


def test_a_master_key_file_readable_by_others_is_refused(database_url, tmp_path):
    from crypto.masterkey import MasterKeyError
    from portal import create_app

    key_file = tmp_path / "master.key"
    create_app(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "MASTER_KEY_FILE": str(key_file),
        }
    ).extensions["ischia.engine"].dispose()
    key_file.chmod(0o644)
    with pytest.raises(MasterKeyError, match="readable by others"):
        create_app(
            {
                "SECRET_KEY": "s",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "MASTER_KEY_FILE": str(key_file),
            }
        )


def test_trusted_proxies_come_from_the_environment_and_are_checked(tmp_path):
    assert settings.from_environment({}, tmp_path)["TRUSTED_PROXIES"] == 0
    config = settings.from_environment({"ISCHIA_TRUSTED_PROXIES": "1"}, tmp_path)
    assert config["TRUSTED_PROXIES"] == 1
    for wrong in ("yes", "-1", "9"):
        with pytest.raises(ConfigError, match="ISCHIA_TRUSTED_PROXIES"):
            settings.from_environment({"ISCHIA_TRUSTED_PROXIES": wrong}, tmp_path)


def test_the_sqlite_files_are_readable_by_the_portal_user_only(master_key, tmp_path):
    """The database file, its write-ahead log and shared memory are 0600, like the key file;
    a file left readable by others is tightened when the portal opens it."""
    from portal import create_app, schema

    database = tmp_path / "ischia.db"
    app = create_app(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MASTER_KEY": master_key,
        }
    )
    engine = app.extensions["ischia.engine"]
    schema.upgrade(engine)
    with engine.connect() as connection:  # keeps the WAL and shared memory open
        connection.exec_driver_sql("SELECT count(*) FROM organisations")
        files = [database, tmp_path / "ischia.db-wal", tmp_path / "ischia.db-shm"]
        assert all(f.exists() for f in files)
        assert [stat.S_IMODE(f.stat().st_mode) for f in files] == [0o600] * 3
    engine.dispose()
    database.chmod(0o644)
    again = create_app(
        {
            "SECRET_KEY": "s",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MASTER_KEY": master_key,
        }
    )
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    again.extensions["ischia.engine"].dispose()
