"""Issue 5 figures through the portal: the workspace's JSON endpoints on a large graph.

A synthetic recruitment-network graph (``graph_bench.generate``: fixed seed, about 5 edges per
node) is installed as the FR analyst's organisation graph; the analyst is signed in through the
real login. Prints, for GET /analysis/neighbourhood (radius 2, at most 300 nodes, with the count
of every node the radius reaches for "showing 300 of N") and
GET /analysis/paths (all shortest paths) between random entities, p50 and p95 over --queries
requests (target p50 < 50 ms), the time of the first view and of the whole graph's cells and
influence (computed in the background, cached until the graph changes), and the memory the
cached graph takes (RSS growth).

    .venv/bin/python bench/workspace_bench.py [--nodes 1000000] [--queries 50]

Only local files are touched; nothing is fetched.
"""

from __future__ import annotations

import argparse
import gc
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

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
from portal.services.analysis import org_graphs  # noqa: E402
from portal.services.principals import Reader  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    print(f"machine: {bulletin_bench.machine()}")
    with tempfile.TemporaryDirectory() as folder:
        url = bulletin_bench.migrated(f"sqlite:///{Path(folder) / 'ws.db'}")
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": secrets.token_urlsafe(32),
                "MASTER_KEY": secrets.token_bytes(32),
                "MASTER_KEY_FILE": str(Path(folder) / "unused.key"),
                "ARGON2_MEMORY_COST_KIB": 19456,
            }
        )
        email = demo.demo_email(Role.ANALYST, "FR-MININT")
        with app.app_context():
            demo.seed()
            reader = Reader.of(accounts.user_by_email(email))
        before = graph_bench.rss()
        started = time.perf_counter()
        g = graph.build_graph(graph_bench.generate(args.nodes), bulletin_nodes=False)
        gc.freeze()
        built = time.perf_counter() - started
        grown = graph_bench.rss() - before
        print(
            f"graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, built in "
            f"{built:.1f} s; RSS grew by {grown / 2**20:,.0f} MB"
        )
        with app.app_context():
            org_graphs.preload(reader, g)
        client = bulletin_bench.signed_in(app, email)
        rng = random.Random(7)
        nodes = sorted(g.nodes)
        started = time.perf_counter()
        first = client.get("/analysis/neighbourhood", query_string={"node": nodes[0], "radius": 2})
        assert first.status_code == 200, first.text
        print(
            f"first view (answered at once; measures start in the background): "
            f"{time.perf_counter() - started:.1f} s"
        )
        deadline = time.monotonic() + 900
        while not client.get("/analysis/measures").json["ready"]:
            if time.monotonic() > deadline:
                raise SystemExit("the background measures did not finish in 15 minutes")
            time.sleep(0.5)
        print(
            f"cells and influence of the whole graph ready (background work) after "
            f"{time.perf_counter() - started:.1f} s; queries are timed from here"
        )
        print(
            f"RSS after the measures: {(graph_bench.rss() - before) / 2**20:,.0f} MB over the start"
        )
        for name, make in (
            (
                "neighbourhood radius 2",
                lambda: (
                    "/analysis/neighbourhood",
                    {"node": rng.choice(nodes), "radius": 2, "limit": 300},
                ),
            ),
            (
                "shortest paths",
                lambda: (
                    "/analysis/paths",
                    {"source": rng.choice(nodes), "target": rng.choice(nodes)},
                ),
            ),
        ):
            samples = []
            for _ in range(args.queries):
                path, query = make()
                started = time.perf_counter()
                response = client.get(path, query_string=query)
                samples.append(time.perf_counter() - started)
                assert response.status_code in (200, 400), response.text
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            print(
                f"{name}: p50 {statistics.median(samples) * 1000:.1f} ms, "
                f"p95 {p95 * 1000:.1f} ms over {len(samples)} requests (target p50 < 50 ms)"
            )


if __name__ == "__main__":
    main()
