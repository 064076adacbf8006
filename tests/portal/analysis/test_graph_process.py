"""The graph process's protocol: versions, unknown and malformed requests, one organisation's
graph per request, and 503 with Retry-After (never a 500) while it is down or rebuilding."""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile

import pytest

from portal.config import ConfigError, from_environment
from portal.extensions import db
from portal.models import Organisation, User
from portal.services.accounts import api_tokens
from portal.services.analysis import graph_client, graph_queries, graph_server, org_graphs
from portal.services.analysis.graph_client import (
    PROTOCOL_VERSION,
    GraphProtocolError,
    SocketClient,
    address_for,
)
from portal.services.analysis.graph_server import GraphServer, SocketInUse
from portal.services.errors import GraphUnavailable, NotFound
from portal.services.operations import health
from portal.services.principals import CLI

CANARY = "@canary_graphd_51"


def _request(org="FR-MININT", query="search", **args):
    return {"v": PROTOCOL_VERSION, "org": org, "query": query, "args": args or {"query": "x"}}


@pytest.fixture
def canary(desk):
    account = {"ref": "a1", "type": "account", "platform": "telegram"}
    desk.post(title="Shared", entities=[account | {"value": "@shared_acc"}], relations=[])
    desk.post(
        title="For DE only",
        recipients=("DE-BMI",),
        entities=[account | {"value": CANARY}],
        relations=[],
    )


def _answer(server, line: bytes) -> dict:
    answer = server.answer(line)
    assert answer["v"] == PROTOCOL_VERSION
    return answer


def test_a_request_of_another_version_is_refused_clearly(desk, graph_process):
    answer = _answer(graph_process.server, json.dumps(_request() | {"v": 99}).encode())
    assert answer["ok"] is False and answer["error"]["kind"] == "version"
    assert "protocol version 1, not 99" in answer["error"]["message"]
    # The web side waits for the upgrade to finish: 503, not 500.
    with pytest.raises(GraphUnavailable):
        SocketClient(graph_process.path).send(_request() | {"v": 99})


def test_unknown_queries_and_malformed_requests_are_refused(desk, graph_process):
    server = graph_process.server
    assert _answer(server, json.dumps(_request(query="drop")).encode())["error"]["kind"] == (
        "unknown_query"
    )
    for line in (b"not json", b"[1, 2]", b'{"v": 1, "org": 3, "query": "search"}'):
        assert _answer(server, line)["error"]["kind"] == "malformed"
    wrong_args = _request(query="paths", source="a")
    assert _answer(server, json.dumps(wrong_args).encode())["error"]["kind"] == "malformed"
    with pytest.raises(GraphProtocolError):
        SocketClient(graph_process.path).send(_request(query="drop"))


def test_a_line_without_its_end_is_malformed_and_several_requests_share_a_connection(
    desk, graph_process
):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(graph_process.path)
        conn.sendall(
            (json.dumps(_request(query="shared", limit=5)) + "\n").encode() * 2 + b'{"v": 1'
        )
        conn.shutdown(socket.SHUT_WR)
        lines = conn.makefile("rb").read().splitlines()
    kinds = [json.loads(line).get("ok") or json.loads(line)["error"]["kind"] for line in lines]
    assert kinds == [True, True, "malformed"]


def test_each_request_reaches_only_its_own_organisations_graph(app, canary, graph_process):
    client = SocketClient(graph_process.path)
    fr = client.send(_request() | {"args": {"query": CANARY}})
    assert fr["hits"] == [] and "canary_graphd" not in json.dumps(fr)
    de = client.send(_request(org="DE-BMI") | {"args": {"query": CANARY}})
    assert de["hits"][0]["node"] == "account:telegram:canary_graphd_51"
    with pytest.raises(NotFound):
        client.send(_request(query="node") | {"args": {"node": de["hits"][0]["node"]}})
    # DE's graph is routed to another graph process: this one refuses to hold or answer it.
    app.config["GRAPH_SOCKETS"] = {"DE-BMI": "/run/ischia/graph-de.sock"}
    try:
        answer = graph_process.server.answer(
            json.dumps(_request(org="DE-BMI") | {"args": {"query": CANARY}}).encode()
        )
        assert answer["error"]["kind"] == "not_routed"
        assert "canary" not in json.dumps(answer)
        unknown = graph_process.server.answer(json.dumps(_request(org="XX-NONE")).encode())
        assert unknown["error"]["kind"] == "not_routed"
    finally:
        app.config["GRAPH_SOCKETS"] = {}


def _api_token(app, desk, who="fr.analyst"):
    with app.app_context():
        user = db.session.get_one(User, desk.users[who])
        return api_tokens.create(user, CLI, f"test {who}", days=1).token


def _unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0


def test_pages_and_api_answer_503_while_the_graph_process_is_down(
    app, desk, canary, clients, graph_process
):
    fr = clients["fr.analyst"]
    assert fr.get("/analysis/search", query_string={"q": "@shared_acc"}).json["hits"]
    bearer = {"Authorization": f"Bearer {_api_token(app, desk)}"}
    node = {"node": "account:telegram:shared_acc"}
    up = app.test_client().get("/api/v1/graph/ego", query_string=node, headers=bearer)
    assert up.status_code == 200, up.text
    saved = fr.post(
        "/analysis/investigations",
        json={"name": "Shared", "nodes": [node["node"]]},
        headers={"X-CSRFToken": clients.token("fr.analyst")},
    ).json
    graph_process.stop()
    form = {
        "csrf_token": clients.token("fr.analyst"),
        "title": "Shared brief",
        "source": "investigation",
        "investigation": str(saved["id"]),
    }
    page = fr.post("/briefings/", data=form)  # an HTML page
    _unavailable(page)
    assert "text/html" in page.content_type and "rebuilt or restarted" in page.text
    down = fr.get("/analysis/search", query_string={"q": "@shared_acc"})
    _unavailable(down)
    assert "rebuilt or restarted" in down.json["error"]["message"]
    api = app.test_client().get("/api/v1/graph/ego", query_string=node, headers=bearer)
    _unavailable(api)
    assert "rebuilt or restarted" in api.json["error"]["message"]
    # Started again (a restart), it answers as before: the web side kept nothing.
    graph_process.start()
    assert fr.get("/analysis/search", query_string={"q": "@shared_acc"}).json["hits"]


def test_a_rebuilding_graph_process_answers_503_with_a_retry_hint(
    app, canary, clients, graph_process
):
    graph_process.server.warming = True  # as after a restart, before this graph is built
    fr = clients["fr.analyst"]
    _unavailable(fr.get("/analysis/search", query_string={"q": "@shared_acc"}))
    graph_process.server.warm_up()
    assert graph_process.server.ready >= {"FR-MININT", "DE-BMI"}
    assert fr.get("/analysis/search", query_string={"q": "@shared_acc"}).json["hits"]


def test_paths_answer_in_time_through_the_graph_process(desk, clients, graph_process, monkeypatch):
    desk.post(
        title="Chain",
        entities=[
            {"ref": "p1", "type": "person", "value": "Chain Person"},
            {"ref": "a1", "type": "account", "platform": "telegram", "value": "@chain_one"},
            {"ref": "a2", "type": "account", "platform": "telegram", "value": "@chain_two"},
        ],
        relations=[
            {"source": "p1", "type": "uses_account", "target": "a1"},
            {"source": "a1", "type": "contacted", "target": "a2"},
        ],
    )
    fr = clients["fr.analyst"]
    person = fr.get("/analysis/search", query_string={"q": "Chain Person"}).json["hits"][0]
    ask = {"source": person["node"], "target": "account:telegram:chain_two"}
    found = fr.get("/analysis/paths", query_string=ask).json
    assert [len(p) for p in found["paths"]] == [3]
    monkeypatch.setattr(graph_queries, "MAX_PATH_STEPS", 1)
    stopped = fr.get("/analysis/paths", query_string=ask)
    assert stopped.status_code == 200
    assert stopped.json["paths"] == []
    assert stopped.json["message"] == "no path within 1 steps found in time"
    # The words of an answer come back in the asker's language through the socket.
    french = fr.get("/analysis/paths", query_string=ask, headers={"Accept-Language": "fr"})
    assert french.json["message"] == (
        "aucun chemin de 1 étapes au plus trouvé dans le temps imparti"
    )
    same = {"source": person["node"], "target": person["node"]}
    refused = fr.get("/analysis/paths", query_string=same, headers={"Accept-Language": "fr"})
    assert refused.status_code == 400
    assert refused.json["error"]["message"] == "Choisissez deux entités différentes."


def test_graphs_serve_needs_a_socket_and_cleans_it_up(app, monkeypatch, tmp_path):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["graphs", "serve"])
    assert refused.exit_code != 0 and "ISCHIA_GRAPH_SOCKET" in refused.output
    path = os.path.join(tempfile.mkdtemp(prefix="ischia-g"), "g.sock")

    def stop_at_once(server, *args, **kwargs):
        assert os.path.exists(server.path) and server.warming is True
        raise KeyboardInterrupt  # as ^C or the service manager's stop

    monkeypatch.setattr(GraphServer, "serve_forever", stop_at_once)
    monkeypatch.setattr(GraphServer, "warm_up", lambda server: None)
    served = runner.invoke(args=["graphs", "serve", "--socket", path])
    assert served.exit_code == 0, served.output
    assert f"listening on {path}" in served.output and not os.path.exists(path)


def test_a_live_socket_is_never_taken_and_a_stale_one_is_replaced(app, desk, graph_process):
    # A second graph process on the same socket would cut the first off from new web requests.
    with pytest.raises(SocketInUse, match="already holds"):
        GraphServer(graph_process.path, app)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["graphs", "serve", "--socket", graph_process.path])
    assert refused.exit_code == 1 and "already holds" in refused.output
    # Without the lock (another host's rule, a lock file removed), the socket still answers.
    with pytest.raises(SocketInUse, match="already answers on"):
        graph_server._claim(graph_process.path)
    nowhere = runner.invoke(args=["graphs", "serve", "--socket", "/nonexistent-dir/g.sock"])
    assert nowhere.exit_code == 1
    assert "Cannot listen on /nonexistent-dir/g.sock: No such file or directory" in nowhere.output
    assert graph_client.status(graph_process.path)["warming"] is False  # still the first's
    folder = tempfile.mkdtemp(prefix="ischia-g")
    plain = os.path.join(folder, "notes.txt")
    with open(plain, "w") as f:
        f.write("keep me")
    with pytest.raises(SocketInUse, match="is not a socket"):
        GraphServer(plain, app)
    with open(plain) as f:
        assert f.read() == "keep me"
    # A socket nobody listens on (a graph process that was killed) is replaced.
    stale = os.path.join(folder, "stale.sock")
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(stale)
    left.close()
    server = GraphServer(stale, app)
    try:
        assert os.path.exists(stale) and stat.S_ISSOCK(os.lstat(stale).st_mode)
    finally:
        server.server_close()
    assert not os.path.exists(stale)


def test_a_second_graph_process_waits_for_the_first_even_without_its_socket_file(
    app, desk, graph_process
):
    os.unlink(graph_process.path)  # an operator cleared the path while the first still runs
    with pytest.raises(SocketInUse, match="already holds"):
        GraphServer(graph_process.path, app)
    graph_process.stop()  # once the first has stopped, a second takes the path
    second = GraphServer(graph_process.path, app)
    try:
        assert stat.S_ISSOCK(os.lstat(graph_process.path).st_mode)
    finally:
        second.server_close()
    assert not os.path.exists(graph_process.path)


def test_a_socket_that_cannot_be_checked_is_never_removed(app, desk, graph_process, monkeypatch):
    # A full listen queue (EAGAIN) or a denied right is what a busy, live graph process may
    # answer: only a refused connection means nobody listens.
    def busy(self, address):  # type: ignore[no-untyped-def]
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(socket.socket, "connect", busy)
    with pytest.raises(SocketInUse, match="cannot be checked"):
        graph_server._claim(graph_process.path)
    assert stat.S_ISSOCK(os.lstat(graph_process.path).st_mode)


def test_the_status_probe_tells_building_from_built_and_down(app, desk, graph_process):
    server = graph_process.server
    runner = app.test_cli_runner()
    server.warming = True
    assert graph_client.status(graph_process.path) == {
        "warming": True,
        "built": 0,
        "routed": None,
        "failed": False,
    }
    building = runner.invoke(args=["graphs", "status"])
    assert building.exit_code == 1 and "answers, building (0 of ? graphs built)" in building.output
    health.forget_probes()
    readyz = app.test_client().get("/readyz")
    assert readyz.status_code == 200 and readyz.json["status"] == "degraded"
    assert readyz.json["checks"]["graph"] == {"ok": False, "detail": "graphs are being built"}
    server.warm_up()
    with app.app_context():
        organisations = db.session.query(Organisation).count()
    assert graph_client.status(graph_process.path) == {
        "warming": False,
        "built": organisations,
        "routed": organisations,
        "failed": False,
    }
    built = runner.invoke(args=["graphs", "status"])
    assert built.exit_code == 0, built.output
    assert (
        f"{graph_process.path}: answers, {organisations} of {organisations} graphs built"
        in built.output
    )
    assert app.test_client().get("/readyz").json["status"] == "degraded"  # kept 5 s: public
    health.forget_probes()
    ready = app.test_client().get("/readyz").json
    assert ready["status"] == "ready"
    assert ready["checks"]["graph"] == {
        "ok": True,
        "detail": "the graph processes answer, every graph built",
    }
    graph_process.stop()
    health.forget_probes()
    down = runner.invoke(args=["graphs", "status", "--socket", graph_process.path])
    assert down.exit_code == 1 and f"{graph_process.path}: does not answer" in down.output
    # Bulletins still work while the workspace waits: degraded, not out of the load balancer.
    readyz = app.test_client().get("/readyz")
    assert readyz.status_code == 200 and readyz.json["status"] == "degraded"
    graph = readyz.json["checks"]["graph"]
    assert graph == {"ok": False, "detail": "a graph process does not answer"}
    assert graph_process.path not in readyz.text  # the probe is public: no paths
    app.config["GRAPH_SOCKET"] = None
    alone = runner.invoke(args=["graphs", "status"])
    assert alone.exit_code == 0 and "No graph process is configured" in alone.output


def test_a_failed_build_and_another_release_are_reported_never_a_500(
    app, desk, graph_process, monkeypatch
):
    def broken(reader):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(graph_queries, "warm", broken)
    graph_process.server.warm_up()
    assert graph_client.status(graph_process.path)["failed"] is True
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["graphs", "status"])
    assert failed.exit_code == 1 and "building its graphs failed" in failed.output
    health.forget_probes()
    check = app.test_client().get("/readyz").json["checks"]["graph"]
    assert check["ok"] is False and "could not build its graphs" in check["detail"]

    # A graph process of the release before answers the status question 'unknown_query'.
    def older(address, timeout=2.0):  # type: ignore[no-untyped-def]
        raise GraphProtocolError("unknown_query: No query 'status' here.")

    monkeypatch.setattr(graph_client, "status", older)
    health.forget_probes()
    readyz = app.test_client().get("/readyz")
    assert readyz.status_code == 200 and readyz.json["status"] == "degraded"
    assert readyz.json["checks"]["graph"]["detail"] == "a graph process of another release answers"
    app.config["METRICS_TOKEN"] = "scrape-me"
    text = app.test_client().get("/metrics", headers={"Authorization": "Bearer scrape-me"}).text
    assert f'ischia_graph_process_up{{socket="{graph_process.path}"}} 1.0' in text
    assert "ischia_graph_process_building{" not in text
    answered = runner.invoke(args=["graphs", "status"])
    assert answered.exit_code == 1 and "another release" in answered.output


def test_metrics_report_the_graph_processes_graphs_and_whether_they_answer(
    app, desk, canary, graph_process
):
    app.config["METRICS_TOKEN"] = "scrape-me"
    bearer = {"Authorization": "Bearer scrape-me"}
    graph_process.server.warm_up()
    with app.app_context():
        held = org_graphs.cache_sizes()
    # The test's graph server runs in this process, so its cache is this process's too:
    # once it stops, /metrics reports no graph although this cache still holds them.
    assert len(held) >= 2
    text = app.test_client().get("/metrics", headers=bearer).text
    socket_label = f'socket="{graph_process.path}"'
    assert f"ischia_graph_process_up{{{socket_label}}} 1.0" in text
    assert f"ischia_graph_process_building{{{socket_label}}} 0.0" in text
    assert f"ischia_graph_cache_graphs {float(len(held))}" in text
    assert "ischia_graph_cache_nodes{org_id=" in text
    graph_process.stop()
    down = app.test_client().get("/metrics", headers=bearer)
    assert down.status_code == 200
    assert f"ischia_graph_process_up{{{socket_label}}} 0.0" in down.text
    assert "ischia_graph_cache_graphs 0.0" in down.text
    assert f"ischia_graph_process_building{{{socket_label}}}" not in down.text


def test_the_routing_table_is_read_from_the_environment(tmp_path):
    routes = "DE-BMI=/run/ischia/graph-de.sock, 7=/run/ischia/graph-7.sock"
    config = from_environment(
        {"ISCHIA_GRAPH_SOCKET": "/run/ischia/graph.sock", "ISCHIA_GRAPH_SOCKETS": routes},
        tmp_path,
    )
    assert config["GRAPH_SOCKET"] == "/run/ischia/graph.sock"
    assert address_for(config, "DE-BMI", 1) == "/run/ischia/graph-de.sock"
    assert address_for(config, "FR-MININT", 7) == "/run/ischia/graph-7.sock"
    assert address_for(config, "IT-MININT", 3) == "/run/ischia/graph.sock"
    assert address_for(from_environment({}, tmp_path), "IT-MININT", 3) is None  # in process
    for wrong in ("DE-BMI", "DE-BMI=relative.sock", "=/x.sock", "DE-BMI=tcp://10.0.0.1:7000"):
        with pytest.raises(ConfigError, match="ISCHIA_GRAPH_SOCKETS"):
            from_environment({"ISCHIA_GRAPH_SOCKETS": wrong}, tmp_path)
