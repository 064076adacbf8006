"""Analysis fixtures: the bulletins desk and signed-in clients; graphs cached per test app."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.services.analysis import org_graphs
from portal.services.analysis.graph_server import GraphServer
from tests.conftest import World
from tests.portal.bulletins.conftest import Desk
from tests.portal.bulletins.sessions import Clients
from tests.portal.conftest import People


@pytest.fixture
def desk(app: Flask, people: People, desk_world: World[dict[str, int]]) -> Iterator[Desk]:
    org_graphs.forget()  # each test's database starts empty under the same URL
    yield Desk.loaded(app, people, desk_world)
    org_graphs.forget()


@pytest.fixture
def clients(app: Flask, people: People) -> Clients:
    return Clients(app, people)


class GraphProcess:
    """A real graph server on a temporary Unix socket, served by a thread of this test."""

    def __init__(self, app: Flask, path: str) -> None:
        self.app, self.path = app, path
        self.server: GraphServer | None = None

    def start(self) -> GraphServer:
        self.server = GraphServer(self.path, self.app)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def graph_process(app: Flask) -> Iterator[GraphProcess]:
    """The app asks its graphs from a graph server over a Unix socket (started here)."""
    folder = tempfile.mkdtemp(prefix="ischia-g")  # short: a socket path has ~100 bytes
    path = os.path.join(folder, "graph.sock")
    app.config["GRAPH_SOCKET"] = path
    process = GraphProcess(app, path)
    process.start()
    yield process
    process.stop()
    app.config["GRAPH_SOCKET"] = None
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["in process", "graph process"])
def boundary(request: pytest.FixtureRequest, app: Flask) -> Iterator[str]:
    """Run a test with the graphs in this process, then again through a graph server."""
    if request.param == "graph process":
        request.getfixturevalue("graph_process")
    yield request.param
