"""``python -m crypto``: offline verification and opening, run as a separate process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crypto import Directory, seal
from crypto.canonical import format_time

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "crypto", *args], cwd=ROOT, capture_output=True, timeout=120
    )


@pytest.fixture
def exported(tmp_path, orgs, now):
    """An envelope FR sealed for DE with one attachment, exported with its public keys."""
    attachment = io.BytesIO()
    envelope = seal(
        b"bulletin text",
        sender=orgs["FR"],
        recipients=[orgs["DE"].public],
        marking="TLP:AMBER",
        now=now,
        expires_at=now + timedelta(days=7),
        fields={"bulletin": "B-7"},
        attachments=[(io.BytesIO(b"attached file"), attachment)],
    )
    paths = {
        "envelope": tmp_path / "envelope.json",
        "directory": tmp_path / "keys.json",
        "de": tmp_path / "de-private.json",
        "us": tmp_path / "us-private.json",
        "attachment": tmp_path / "attachment.sealed",
    }
    paths["envelope"].write_text(envelope.to_json())
    paths["directory"].write_text(Directory([orgs["FR"].public, orgs["DE"].public]).to_json())
    paths["de"].write_text(orgs["DE"].to_json())
    paths["us"].write_text(orgs["US"].to_json())
    paths["attachment"].write_bytes(attachment.getvalue())
    return {name: str(path) for name, path in paths.items()}


def test_verify_prints_who_what_and_fingerprints(exported, orgs, now):
    result = run(
        "verify",
        exported["envelope"],
        "--directory",
        exported["directory"],
        "--attachment",
        "0",
        exported["attachment"],
        "--at",
        format_time(now),
    )
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert "marking     TLP:AMBER" in out
    assert f"sender      FR v1  {orgs['FR'].public.fingerprint_text}" in out
    assert f"DE v1  {orgs['DE'].public.fingerprint_text}" in out
    assert "Ed25519 valid, ML-DSA-65 valid" in out
    assert "field       bulletin = 'B-7'" in out
    assert out.rstrip().endswith("status      VALID")
    assert "bulletin text" not in out


def test_verify_reports_expiry_without_failing(exported, now):
    later = format_time(now + timedelta(days=8))
    result = run(
        "verify", exported["envelope"], "--directory", exported["directory"], "--at", later
    )
    assert result.returncode == 0
    assert b"EXPIRED" in result.stdout


def test_verify_refuses_a_tampered_envelope(exported, tmp_path):
    doc = json.loads(Path(exported["envelope"]).read_text())
    doc["signature"]["ml_dsa_65"] = doc["signature"]["ml_dsa_65"][::-1]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc))
    result = run("verify", str(tampered), "--directory", exported["directory"])
    assert result.returncode == 1
    assert result.stderr.decode().startswith("INVALID: BadSignature:")
    wrong_file = run(
        "verify", exported["envelope"], "--directory", exported["directory"],
        "--attachment", "0", exported["de"],
    )  # fmt: skip
    assert wrong_file.returncode == 1
    assert b"attachment #0" in wrong_file.stderr


def test_open_writes_the_payload_and_attachments(exported, tmp_path, now):
    result = run(
        "open", exported["envelope"], "--directory", exported["directory"],
        "--private-bundle", exported["de"], "--at", format_time(now),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"bulletin text"
    output, attached = tmp_path / "payload.bin", tmp_path / "attachment.bin"
    result = run(
        "open", exported["envelope"], "--directory", exported["directory"],
        "--private-bundle", exported["de"], "--at", format_time(now), "--output", str(output),
        "--attachment", "0", exported["attachment"], str(attached),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == b"bulletin text"
    assert attached.read_bytes() == b"attached file"


def test_open_refuses_a_non_recipient_and_an_expired_envelope(exported, now):
    result = run(
        "open", exported["envelope"], "--directory", exported["directory"],
        "--private-bundle", exported["us"], "--at", format_time(now),
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (1, b"")
    assert b"NotARecipient" in result.stderr
    later = format_time(now + timedelta(days=8))
    result = run(
        "open", exported["envelope"], "--directory", exported["directory"],
        "--private-bundle", exported["de"], "--at", later,
    )  # fmt: skip
    assert result.returncode == 1
    assert b"EnvelopeExpired" in result.stderr


def test_missing_files_are_usage_errors(exported, tmp_path):
    result = run("verify", str(tmp_path / "absent.json"), "--directory", exported["directory"])
    assert result.returncode == 2
    assert b"cannot read" in result.stderr
    assert run("verify").returncode == 2


def test_fingerprint_of_public_and_private_bundles(exported, orgs, tmp_path):
    public = tmp_path / "de-public.json"
    public.write_text(orgs["DE"].public.to_json())
    for path in (str(public), exported["de"]):
        result = run("fingerprint", path)
        assert result.returncode == 0
        assert orgs["DE"].public.fingerprint_text in result.stdout.decode()
