"""Issue 16 §1 figures: one graph process per machine, queried by 4 web-worker processes.

Measured through the client against the server (not gunicorn): this process is the graph
process (``GraphServer`` on a temporary Unix socket, the same class ``flask graphs serve``
runs); it holds a synthetic organisation graph (``graph_bench.generate``, fixed seed, about
5 edges per node) installed as FR's graph. Four worker processes (spawned, each with the
portal app created and ``GRAPH_SOCKET`` set, as a gunicorn worker is) ask the workspace
service (``workspace.neighbourhood`` / ``workspace.paths``, the same calls the views make)
at once, through the socket. Prints:

- resident memory of the graph process, and of each worker idle (app created, before any
  query) and after its queries: the graph is held once when total <= graph process + 4 x idle;
- ego (radius 2, at most 300 nodes, JSON) p50 and p95 through the socket, over 4 workers
  asking at once, and for one worker alone (2 cores here: 4 at once queue for them);
- paths p50 through the socket (stopped at 8 steps or 2 s: "no path ... found in time");
- the same ego measured in the graph process itself (in process, JSON encoded): the floor.

    .venv/bin/python bench/graph_process_bench.py [--nodes 100000] [--queries 50]

Only local files are touched; nothing is fetched.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
sys.path.insert(0, str(REPOSITORY / "bench"))

import bulletin_bench  # noqa: E402
import graph_bench  # noqa: E402

import graph  # noqa: E402
from portal import create_app  # noqa: E402
from portal.demo import seeding as demo  # noqa: E402
from portal.models import Role  # noqa: E402
from portal.services.accounts import directory as accounts  # noqa: E402
from portal.services.analysis import graph_queries, org_graphs, workspace  # noqa: E402
from portal.services.analysis.graph_server import GraphServer  # noqa: E402
from portal.services.principals import Reader  # noqa: E402

WORKERS = 4


def _config(folder: str, url: str, key: bytes, socket_path: str | None) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "bench",
        "MASTER_KEY": key,
        "MASTER_KEY_FILE": str(Path(folder) / "unused.key"),
        "ARGON2_MEMORY_COST_KIB": 19456,
        "GRAPH_SOCKET": socket_path,
    }


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def _worker(config: dict[str, Any], email: str, nodes: list[str], queries: int, seed: int,
            start: Any, out: Any) -> None:  # fmt: skip
    """One web worker: the app, idle; then ego and paths queries through the socket."""
    app = create_app(config)
    with app.app_context():
        reader = Reader.of(accounts.user_by_email(email))
    gc.collect()
    idle = graph_bench.rss()
    rng = random.Random(seed)
    start.wait()
    ego, paths = [], []
    with app.app_context():
        for _ in range(queries):
            t0 = time.perf_counter()
            view = workspace.neighbourhood(
                reader, rng.choice(nodes), 2, workspace.ViewFilter(), limit=300
            )
            json.dumps(view)
            ego.append(time.perf_counter() - t0)
        for _ in range(queries):
            t0 = time.perf_counter()
            try:
                json.dumps(workspace.paths(reader, rng.choice(nodes), rng.choice(nodes)))
            except workspace.InvalidInput:
                pass  # the same entity twice
            paths.append(time.perf_counter() - t0)
    out.put({"idle": idle, "after": graph_bench.rss(), "ego": ego, "paths": paths})


def _run_workers(
    count: int, config: dict[str, Any], email: str, sample: list[str], queries: int
) -> list[dict[str, Any]]:
    """``count`` worker processes asking at once; their memory and timings."""
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [
        context.Process(target=_worker, args=(config, email, sample, queries, 10 + i, start, out))
        for i in range(count)
    ]
    for w in workers:
        w.start()
    time.sleep(1)
    start.set()
    results = [out.get(timeout=1800) for _ in workers]
    for w in workers:
        w.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {bulletin_bench.machine()}")
    with tempfile.TemporaryDirectory(prefix="ischia-gb") as folder:
        url = bulletin_bench.migrated(f"sqlite:///{Path(folder) / 'gp.db'}")
        key = secrets.token_bytes(32)
        socket_path = str(Path(folder) / "graph.sock")
        config = _config(folder, url, key, socket_path)
        app = create_app(_config(folder, url, key, None))
        app.config["GRAPH_SOCKET"] = socket_path  # the graph process serves this path
        email = demo.demo_email(Role.ANALYST, "FR-MININT")
        with app.app_context():
            demo.seed()
            reader = Reader.of(accounts.user_by_email(email))
        before = graph_bench.rss()
        g = graph.build_graph(graph_bench.generate(args.nodes), bulletin_nodes=False)
        gc.freeze()
        print(f"graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges")
        with app.app_context():
            org_graphs.preload(reader, g)
            # The whole graph's cells and influence, as the workspace computes them once.
            started = time.perf_counter()
            while not graph_queries.measures_ready(reader):
                time.sleep(0.5)
            print(f"cells and influence ready in {time.perf_counter() - started:.0f} s")
        server = GraphServer(socket_path, app)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        nodes = sorted(n for n in g.nodes if g.nodes[n].get("type") != "bulletin")
        rng = random.Random(3)
        floor = []
        with app.app_context():
            for _ in range(args.queries):
                t0 = time.perf_counter()
                json.dumps(graph_queries.ego(reader, rng.choice(nodes), 2, {}, 300))
                floor.append(time.perf_counter() - t0)
        graph_rss = graph_bench.rss()
        print(
            f"graph process: RSS {graph_rss / 2**20:,.0f} MB "
            f"({(graph_rss - before) / 2**20:,.0f} MB for the graph and its measures)"
        )
        sample = nodes[:: max(1, len(nodes) // 20_000)]  # a sample to pick from, cheap to pass
        alone = _run_workers(1, config, email, sample, args.queries)
        results = _run_workers(WORKERS, config, email, sample, args.queries)
        server.shutdown()
        server.server_close()
    idle = [r["idle"] for r in results]
    after = [r["after"] for r in results]
    ego = [s for r in results for s in r["ego"]]
    paths = [s for r in results for s in r["paths"]]
    mb = 2**20
    print("workers idle RSS: " + ", ".join(f"{x / mb:,.0f} MB" for x in idle))
    print("workers RSS after their queries: " + ", ".join(f"{x / mb:,.0f} MB" for x in after))
    total = graph_rss + sum(after)
    bound = graph_rss + WORKERS * max(idle)
    grown = max(a - i for a, i in zip(after, idle, strict=True))
    print(
        f"total RSS {total / mb:,.0f} MB (graph process + {WORKERS} workers after their queries); "
        f"graph process + {WORKERS} x idle worker {bound / mb:,.0f} MB: within it: "
        f"{total <= bound}; a worker grew by at most {grown / mb:,.0f} MB over its queries "
        f"(the graph process holds {(graph_rss - before) / mb:,.0f} MB of graph)"
    )
    print(
        f"ego radius 2, <= 300 nodes, JSON, through the socket ({WORKERS} workers at once): "
        f"p50 {statistics.median(ego) * 1000:.1f} ms, p95 {_p(ego, 0.95):.1f} ms "
        f"over {len(ego)} requests"
    )
    print(
        f"paths through the socket ({WORKERS} workers at once): "
        f"p50 {statistics.median(paths) * 1000:.1f} ms"
    )
    one = alone[0]
    print(
        f"one worker alone through the socket: ego p50 {statistics.median(one['ego']) * 1000:.1f}"
        f" ms, p95 {_p(one['ego'], 0.95):.1f} ms; paths p50 "
        f"{statistics.median(one['paths']) * 1000:.1f} ms"
    )
    print(
        f"ego in process (the floor, same run): p50 {statistics.median(floor) * 1000:.1f} ms, "
        f"p95 {_p(floor, 0.95):.1f} ms over {len(floor)}"
    )


if __name__ == "__main__":
    main()
