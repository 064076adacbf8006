"""The master key file: created once with 0600 rights, refused when exposed or malformed."""

from __future__ import annotations

import base64
import stat
import threading

import pytest

from crypto.masterkey import (
    MASTER_KEY_BYTES,
    MasterKeyError,
    decode_master_key,
    load_or_create_master_key,
)


def test_first_use_creates_a_0600_file_and_later_uses_read_it(tmp_path):
    path = tmp_path / "master.key"
    key = load_or_create_master_key(path)
    assert len(key) == MASTER_KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_master_key(path) == key
    assert load_or_create_master_key(path, create=False) == key
    assert [p.name for p in tmp_path.iterdir()] == ["master.key"]  # no temporary left behind


def test_missing_file_without_create_is_an_error(tmp_path):
    with pytest.raises(MasterKeyError, match="does not exist"):
        load_or_create_master_key(tmp_path / "absent.key", create=False)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path, mode):
    path = tmp_path / "master.key"
    load_or_create_master_key(path)
    path.chmod(mode)
    with pytest.raises(MasterKeyError, match="readable by others"):
        load_or_create_master_key(path)


@pytest.mark.parametrize(
    "content", ["", "not base64!", base64.urlsafe_b64encode(b"short").decode(), "é"]
)
def test_a_malformed_key_is_refused(tmp_path, content):
    path = tmp_path / "master.key"
    path.write_bytes(content.encode())
    path.chmod(0o600)
    with pytest.raises(MasterKeyError):
        load_or_create_master_key(path)


def test_decode_accepts_what_the_file_holds():
    key = bytes(range(32))
    assert decode_master_key(base64.urlsafe_b64encode(key).decode() + "\n") == key


def test_processes_starting_together_agree_on_one_key(tmp_path):
    """Workers starting at once must never read a half-written key file."""
    for trial in range(30):
        path = tmp_path / f"master-{trial}.key"
        barrier = threading.Barrier(4)
        results: list[bytes | Exception] = []

        def start(path=path, barrier=barrier, results=results):
            barrier.wait()
            try:
                results.append(load_or_create_master_key(path))
            except MasterKeyError as exc:
                results.append(exc)

        workers = [threading.Thread(target=start) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(set(results)) == 1, results
        assert isinstance(results[0], bytes)
