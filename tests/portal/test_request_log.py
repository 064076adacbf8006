"""No query string in a real server's request log: Werkzeug's development server (``flask
run``, as ``make demo`` runs it) and gunicorn (the README's production line, from the
repository's root so that its gunicorn.conf.py applies), each started on 127.0.0.1.

A canary goes into each search's query string (``/bulletins/search?q=``, ``/analysis/search?q=``,
``/api/v1/search?q=``, the workspace's ``?node=``) and into a Referer; the logs hold the paths
but never the canary.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal import REPOSITORY
from portal.request_log import NoQueryStrings, without_query

BIN = Path(sys.executable).parent
PATHS = ["/bulletins/search", "/analysis/search", "/api/v1/search", "/analysis/neighbourhood"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ischia.db'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "ISCHIA_MASTER_KEY_FILE": str(tmp_path / "master.key"),
        "FLASK_DEBUG": "0",
    }


def ask_each_search(port: int, canary: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).read()
            break
        except OSError:  # not listening yet, or the worker still booting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    for path in PATHS:
        url = f"http://127.0.0.1:{port}{path}?q=%40{canary}&node=account:telegram:{canary}"
        request = urllib.request.Request(
            url, headers={"Referer": f"http://127.0.0.1:{port}/bulletins/search?q={canary}"}
        )
        try:
            urllib.request.urlopen(request, timeout=10).read()  # noqa: S310  (http://127.0.0.1)
        except urllib.error.HTTPError as answered:  # 401 without a token, and so on
            answered.read()


def run_server(command: list[str], tmp_path: Path, port: int, canary: str) -> str:
    log = tmp_path / f"server-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=REPOSITORY, env=environment(tmp_path), stdout=out, stderr=out
        )
        try:
            ask_each_search(port, canary)
            time.sleep(0.5)  # let the access log be written
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
    return "\n".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))


def assert_clean(logs: str, canary: str) -> None:
    for path in PATHS:
        assert path in logs, f"{path} was not logged at all:\n{logs}"
    assert canary not in logs and canary.lower() not in logs.lower(), logs


def test_werkzeug_development_server_logs_no_query_string(tmp_path):
    canary = f"canary{secrets.token_hex(6)}"
    port = free_port()
    command = [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1"]
    logs = run_server([*command, "--port", str(port)], tmp_path, port, canary)
    assert_clean(logs, canary)


@pytest.mark.parametrize(
    "log_format",
    [
        None,  # the repository's gunicorn.conf.py
        # A format with the request line, the query string and the referrer: the filter's work.
        '%(h)s "%(r)s" %(s)s q=%(q)s "%(f)s" "%({referer}i)s" "%(U)s"',
    ],
)
def test_gunicorn_logs_no_query_string(tmp_path, log_format):
    canary = f"canary{secrets.token_hex(6)}"
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "-w",
        "1",
        "-b",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(tmp_path / "access.log"),
        "--error-logfile",
        str(tmp_path / "error.log"),
        "--graceful-timeout",
        "3",
        "--no-control-socket",  # several servers may run at once: no shared control socket
    ]
    if log_format:
        command += ["--access-logformat", log_format]
    logs = run_server([*command, "wsgi:app"], tmp_path, port, canary)
    assert_clean(logs, canary)


def test_the_filter_removes_query_strings_from_every_form_of_record():
    assert without_query('"GET /bulletins/search?q=@x y&p=1 HTTP/1.1" 200 -') == (
        '"GET /bulletins/search?- HTTP/1.1" 200 -'
    )
    assert without_query("code 400, message Bad request ('/a?q=x')") == (
        "code 400, message Bad request ('/a?-')"
    )
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, "", 0, "%(r)s %(q)s", ({"r": "-"},), None
    )
    record.args = {"r": "GET /a?q=x HTTP/1.1", "q": "q=x", "U": "/a"}
    assert NoQueryStrings().filter(record)
    assert record.args == {"r": "GET /a?- HTTP/1.1", "q": "", "U": "/a"}
