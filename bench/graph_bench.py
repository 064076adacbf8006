"""Benchmark of graph/ against python-igraph on synthetic recruitment networks (issue 5).

For each size N (default 10k and 100k; add 1000000 for the issue's 5M-edge case)
it generates, with a fixed seed, bulletins whose entities form a graph of N
nodes and about 5N edges: persons, accounts, phones, e-mail addresses, URLs,
groups and locations; each bulletin introduces 20 new entities and attaches each
with five relations, by preferential attachment, to identifiers reported before
(accounts, phones... are shared across bulletins by key; persons are not, as in
the library) or to persons of the same bulletin. Then, in one run, it times:

- build: ``graph.build.build_graph`` of all bulletins (identifier keys computed at
  intake, as the portal does) vs building an igraph Graph with the same vertices,
  edges and type/bulletin attributes from the same bulletins;
- the igraph mirror conversion that graph/ caches per graph version;
- components, PageRank, communities (Louvain), betweenness sampled from k=256
  sources: ``graph.analytics`` (warm mirror) vs igraph on its own graph;
- ego network radius 2 and shortest path, p50/p95 over 200 random queries, vs
  igraph's ``neighborhood`` and ``get_shortest_paths``;
- resident memory added by the graph, by the mirror, and add/remove of one bulletin.

Run ``python bench/graph_bench.py --sizes 10000 100000 1000000``; the 1M case needs
about 12 GB and a quarter of an hour on two cores.

``--build-only`` prints instead the issue-16 figures, ``build/floor ratio`` and
``memory/floor ratio``: graph/ as the portal keeps it against the bare NetworkX floor,
each build timed and each graph's memory counted (tracemalloc, input freed) in a fresh
process, with add, remove and merge times (``--runs`` timings per size, ``--top N``
for the lines allocating most).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

# igraph's PageRank (PRPACK) runs OpenMP threads that spin while they wait; on a small
# shared machine they fight each other and PageRank takes 30 times longer. One thread
# per process is also what a gunicorn worker should use; set it before igraph loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import igraph
import networkx as nx

from graph.accelerate import igraph_mirror, seeded_igraph
from graph.analytics import betweenness, communities, components, pagerank
from graph.build import add_bulletin, apply_merges, build_graph, remove_bulletin
from graph.merges import ConfirmedMerge, PersonMerges
from graph.model import Bulletin, Entity, Provenance, Relation
from graph.queries import ego_network, shortest_path

SEED = 20250101
PER_BULLETIN = 20
EDGES_PER_NODE = 5
TYPES = (
    ("person", 0.40),
    ("account", 0.30),
    ("phone", 0.10),
    ("email", 0.05),
    ("url", 0.05),
    ("group", 0.05),
    ("location", 0.05),
)
ORGS = ("US", "JP", "DE", "FR", "CA", "UK", "IT")
MARKS = ("TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def relation_for(source_type: str, target_type: str, rng: random.Random) -> str:
    if source_type == "person":
        if target_type in ("account", "phone", "email", "url"):
            return "uses_account"
        if target_type == "group":
            return "member_of"
        if target_type == "location":
            return "travelled_to"
        return rng.choice(("contacted", "recruited", "financed"))
    return "contacted"


def mention(refs: dict[int, Entity], node_type: list[str], i: int) -> None:
    """Name node ``i`` in the bulletin being written (identifiers carry their intake key)."""
    if i not in refs:
        kind = node_type[i]
        key = None if kind == "person" else f"{kind}:n{i}"
        refs[i] = Entity(f"e{i}", kind, name=f"N{i}", key=key)  # type: ignore[arg-type]


def generate(n: int, seed: int = SEED) -> list[Bulletin]:
    """Bulletins whose entity graph has ``n`` nodes and about ``5 n`` edges."""
    rng = random.Random(seed)
    kinds = [t for t, _ in TYPES]
    weights = [w for _, w in TYPES]
    node_type: list[str] = []
    pool: list[int] = []  # identifier node ids, once per unit of degree (preferential attachment)
    bulletins: list[Bulletin] = []
    start = date(2020, 1, 1)
    days = [start + timedelta(days=d) for d in range(2000)]
    for b in range((n + PER_BULLETIN - 1) // PER_BULLETIN):
        bid = f"{ORGS[b % len(ORGS)]}-{b:07d}"
        first = len(node_type)
        count = min(PER_BULLETIN, n - first)
        new = list(range(first, first + count))
        types = rng.choices(kinds, weights, k=count)
        node_type.extend(types)
        persons_here: list[int] = []
        refs: dict[int, Entity] = {}
        relations: list[Relation] = []

        for i in new:
            mention(refs, node_type, i)
            targets: list[int] = []
            for _ in range(EDGES_PER_NODE):
                if node_type[i] == "person" and persons_here and rng.random() < 0.4:
                    targets.append(rng.choice(persons_here))
                elif pool:
                    targets.append(rng.choice(pool))
            for t in targets:
                if t == i:
                    continue
                mention(refs, node_type, t)
                on = days[rng.randrange(2000)]
                kind = relation_for(node_type[i], node_type[t], rng)
                # As the portal hands relations over: the entities' own refs, shared dates.
                relations.append(Relation(kind, refs[i].ref, refs[t].ref, on))  # type: ignore[arg-type]
                if node_type[t] != "person":
                    pool.append(t)
            if node_type[i] == "person":
                persons_here.append(i)
            else:
                pool.extend([i] * max(1, len(targets)))
        provenance = Provenance(
            bid, ORGS[b % len(ORGS)], start + timedelta(days=b % 2000), MARKS[b % 4]
        )
        bulletins.append(Bulletin(provenance, tuple(refs.values()), tuple(relations)))
    return bulletins


def igraph_build(bulletins: list[Bulletin]) -> Any:
    """The same graph in igraph, from the same bulletins, with the same information.

    Vertices by key (persons by mention id) with type, label and the bulletins that
    name them; edges with type, bulletin and date. Like graph/, it keeps provenance;
    unlike graph/, it does not fold a relation that two bulletins both state into one
    edge (rare here), nor keep the labels independent of arrival order.
    """
    index: dict[str, int] = {}
    vtypes: list[str] = []
    labels: list[str] = []
    named_in: list[list[str]] = []
    edges: list[tuple[int, int]] = []
    etypes: list[str] = []
    ebulletins: list[str] = []
    edates: list[date | None] = []
    for bulletin in bulletins:
        bid = bulletin.bulletin_id
        local: dict[str, int] = {}
        for e in bulletin.entities:
            key = e.key if e.key is not None else f"person:{bid}:{e.ref}"
            v = index.get(key)
            if v is None:
                v = index[key] = len(vtypes)
                vtypes.append(e.type)
                labels.append(e.name or key)
                named_in.append([bid])
            else:
                named_in[v].append(bid)
            local[e.ref] = v
        for r in bulletin.relations:
            edges.append((local[r.source], local[r.target]))
            etypes.append(r.type)
            ebulletins.append(bid)
            edates.append(r.on)
    return igraph.Graph(
        n=len(vtypes),
        edges=edges,
        directed=True,
        vertex_attrs={"name": list(index), "type": vtypes, "label": labels, "bulletins": named_in},
        edge_attrs={"type": etypes, "bulletin": ebulletins, "date": edates},
    )


def bare_networkx_build(bulletins: list[Bulletin]) -> nx.MultiDiGraph:
    """The floor of any NetworkX model of these bulletins: the same nodes and edges, built
    straight into a MultiDiGraph's adjacency dicts, with nothing but each edge's type.

    No provenance (which bulletins, organisations, dates, markings), no mentions, labels or
    sources, no person merges, no journeys and no incremental bookkeeping: everything the
    issue asks the graph to carry is left out, so graph/ cannot build faster than this.
    """
    g = nx.MultiDiGraph()
    attributes, succ, pred = g._node, g._succ, g._pred
    for bulletin in bulletins:
        bid = bulletin.bulletin_id
        local: dict[str, str] = {}
        for e in bulletin.entities:
            key = e.key if e.key is not None else f"person:{bid}:{e.ref}"
            if key not in attributes:
                attributes[key] = {"type": e.type}
                succ[key] = {}
                pred[key] = {}
            local[e.ref] = key
        for r in bulletin.relations:
            source, target = local[r.source], local[r.target]
            around = succ[source]
            keydict = around.get(target)
            if keydict is None:
                keydict = around[target] = {}
                pred[target][source] = keydict
            if r.type not in keydict:
                keydict[r.type] = {"type": r.type}
    return g


FLOOR_TARGET = 1.25


def _retained(build: Callable[[list[Bulletin]], Any], n: int, top: int) -> dict[str, Any]:
    """Bytes a graph built by ``build`` keeps once its input is gone (run in a fresh process).

    tracemalloc counts every live Python allocation, whoever made it: the bulletins are
    generated under tracing too, so whatever the graph keeps of them (records, strings,
    dates) is counted, and what it does not keep is freed with the input list.
    """
    tracemalloc.start(1)
    start = tracemalloc.get_traced_memory()[0]
    bulletins = generate(n)
    gc.disable()
    g = build(bulletins)
    gc.enable()
    del bulletins
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - start
    lines: list[str] = []
    if top:
        stats = tracemalloc.take_snapshot().statistics("lineno")
        for stat in stats[:top]:
            frame = stat.traceback[0]
            where = f"{os.path.relpath(frame.filename)}:{frame.lineno}"
            lines.append(f"{stat.size / 2**20:9.1f} MiB {stat.count:>10,} blocks  {where}")
    return {
        "bytes": kept,
        "edges": g.number_of_edges(),
        "nodes": g.number_of_nodes(),
        "top": lines,
    }


def _timings(n: int) -> dict[str, float]:
    """Build times of the floor and of graph/ from the same bulletins, in this process."""
    bulletins = generate(n)
    times: dict[str, float] = {}
    for name, build in (("floor", bare_networkx_build), ("ours", _ours), ("igraph", igraph_build)):
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        g = build(bulletins)
        times[name] = time.perf_counter() - t0
        gc.enable()
        if name == "ours":
            times.update(_changes(g, bulletins))
        del g
        gc.collect()
    return times


def _changes(g: Any, bulletins: list[Bulletin], k: int = 20) -> dict[str, float]:
    """Worst and median times to remove a bulletin, add it back, and apply a merge."""
    gc.collect()
    gc.freeze()  # as the portal does with a cached graph
    chosen = random.Random(3).sample(bulletins, k)
    removes, adds = [], []
    for bulletin in chosen:
        t0 = time.perf_counter()
        remove_bulletin(g, bulletin.bulletin_id)
        removes.append(time.perf_counter() - t0)
    for bulletin in chosen:
        t0 = time.perf_counter()
        add_bulletin(g, bulletin)
        adds.append(time.perf_counter() - t0)
    # A merge of two persons of different bulletins: both are taken out and read back.
    by_id = {b.bulletin_id: b for b in chosen}
    first, second = (
        next(f"person:{b.bulletin_id}:{e.ref}" for e in b.entities if e.type == "person")
        for b in chosen[:2]
    )
    when = datetime(2026, 1, 1, tzinfo=UTC)
    merges = PersonMerges([ConfirmedMerge(first, second, "bench", when)])
    t0 = time.perf_counter()
    apply_merges(g, merges, reload=lambda ids: [by_id[i] for i in ids])
    merge = time.perf_counter() - t0
    gc.unfreeze()
    return {
        "remove_p50": statistics.median(removes),
        "remove_max": max(removes),
        "add_p50": statistics.median(adds),
        "add_max": max(adds),
        "merge": merge,
    }


def _ours(bulletins: list[Bulletin]) -> Any:
    return build_graph(bulletins, bulletin_nodes=False, keep_records=False)


def _child(args: list[str]) -> Any:
    """Run one measurement in a fresh interpreter, so none shares a heap with another."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    return json.loads(out.stdout)


def floor_ratios(n: int, runs: int, top: int) -> list[str]:
    """The issue-16 figures: build time and retained memory of graph/ over the bare floor."""
    builds = [_child(["time", str(n)]) for _ in range(runs)]
    ours_mem = _child(["memory", "ours", str(n), str(top)])
    floor_mem = _child(["memory", "floor", str(n), str(top)])
    ratios = sorted(b["ours"] / b["floor"] for b in builds)
    ratio = statistics.median(ratios)
    t_ours = statistics.median(b["ours"] for b in builds)
    t_floor = statistics.median(b["floor"] for b in builds)
    memory = ours_mem["bytes"] / floor_mem["bytes"]
    edges = max(floor_mem["edges"], 1)
    lines = [
        f"#### build and memory against the bare NetworkX floor ({n:,} nodes, "
        f"{floor_mem['edges']:,} edges, MultiDiGraph)",
        "",
        f"build: graph/ {t_ours:.2f} s, floor {t_floor:.2f} s (median of {runs} runs in fresh "
        f"processes; ratios {', '.join(f'{r:.2f}' for r in ratios)}; igraph, for context, "
        f"{statistics.median(b['igraph'] for b in builds):.2f} s)",
        f"memory kept (tracemalloc, fresh process each, input freed): graph/ "
        f"{ours_mem['bytes'] / 2**20:.0f} MiB ({ours_mem['bytes'] / edges:.0f} B/edge), floor "
        f"{floor_mem['bytes'] / 2**20:.0f} MiB ({floor_mem['bytes'] / edges:.0f} B/edge)",
        "add a bulletin: p50 {:.1f} ms, max {:.1f} ms; remove one: p50 {:.1f} ms, max {:.1f} ms; "
        "a merge of two persons (both bulletins read back, from memory here): {:.1f} ms".format(
            *(
                1000 * statistics.median(b[k] for b in builds)
                for k in ("add_p50", "add_max", "remove_p50", "remove_max", "merge")
            )
        ),
        f"build/floor ratio: {ratio:.2f} (target <= {FLOOR_TARGET})",
        f"memory/floor ratio: {memory:.2f} (target <= {FLOOR_TARGET})",
        "",
    ]
    if top:
        lines += ["graph/ memory by allocating line:", "```", *ours_mem["top"], "```", ""]
        lines += ["floor memory by allocating line:", "```", *floor_mem["top"], "```", ""]
    return lines


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def row(name: str, ours: float, theirs: float | None, note: str = "") -> str:
    if theirs is None:
        return f"| {name} | {ours:.3f} s | — | — | {note} |"
    ratio = ours / theirs if theirs > 0 else float("inf")
    return f"| {name} | {ours:.3f} s | {theirs:.3f} s | {ratio:.2f}x | {note} |"


def bench(n: int, queries: int, build_only: bool = False) -> list[str]:
    lines = [f"### {n:,} nodes", ""]
    t, bulletins = timed(lambda: generate(n))
    relations = sum(len(b.relations) for b in bulletins)
    print(
        f"[{n}] generated {len(bulletins)} bulletins, {relations} relations in {t:.1f} s",
        file=sys.stderr,
    )
    gc.collect()
    base = rss()
    t_build, g = timed(lambda: build_graph(bulletins, bulletin_nodes=False))
    gc.collect()
    graph_bytes = rss() - base
    # Same conditions for igraph: graph/ builds with the cycle collector paused.
    gc.disable()
    t_ibuild, ig = timed(lambda: igraph_build(bulletins))
    gc.enable()
    gc.disable()
    t_floor, floor = timed(lambda: bare_networkx_build(bulletins))
    gc.enable()
    floor_edges = floor.number_of_edges()
    del floor
    print(
        f"[{n}] built: ours {t_build:.1f} s, igraph {t_ibuild:.1f} s, "
        f"bare NetworkX floor {t_floor:.1f} s",
        file=sys.stderr,
    )
    # What the portal does with a cached graph: move it out of the collector's sight, so
    # that collections during requests do not rescan millions of long-lived objects.
    gc.collect()
    gc.freeze()
    before_mirror = rss()
    t_mirror, mirror = timed(lambda: igraph_mirror(g))
    mirror_bytes = rss() - before_mirror
    lines += [
        f"Graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges "
        f"({len(bulletins):,} bulletins; igraph: {ig.vcount():,} vertices, {ig.ecount():,} edges; "
        f"undirected simple mirror: {mirror.graph.ecount():,} edges).",
        "",
        "| operation | graph/ | igraph | ratio | note |",
        "|---|---|---|---|---|",
        row("build from bulletins", t_build, t_ibuild, "NetworkX MultiDiGraph with provenance"),
        row(
            "(floor: bare NetworkX adjacency, no provenance)",
            t_floor,
            t_ibuild,
            f"{floor_edges:,} edges; the least any NetworkX model costs",
        ),
        row(
            "build + mirror conversion",
            t_build + t_mirror,
            t_ibuild,
            f"mirror alone {t_mirror:.3f} s, once per graph version",
        ),
    ]
    if build_only:
        return [*lines, "", f"Memory: the NetworkX graph adds {graph_bytes / 2**30:.2f} GiB.", ""]
    und = ig.as_undirected(mode="collapse")  # the same simple undirected graph analytics measure

    t_ours, found = timed(lambda: components(g))
    t_theirs, _ = timed(lambda: und.connected_components())
    lines.append(row("connected components", t_ours, t_theirs, f"{len(found):,} components"))

    t_ours, _ = timed(lambda: pagerank(g))
    t_theirs, _ = timed(lambda: und.pagerank(directed=False))
    lines.append(row("PageRank", t_ours, t_theirs))

    t_ours, cells = timed(lambda: communities(g, seed=1))
    t_theirs, _ = timed(
        lambda: seeded_igraph(
            1, lambda: und.community_leiden(objective_function="modularity", n_iterations=2)
        )
    )
    lines.append(row("communities (Leiden, modularity)", t_ours, t_theirs, f"{len(cells):,} cells"))
    if n <= 100_000:
        t_ours, cells = timed(lambda: communities(g, seed=1, method="louvain"))
        t_theirs, _ = timed(lambda: seeded_igraph(1, lambda: und.community_multilevel()))
        lines.append(row("communities (Louvain)", t_ours, t_theirs, f"{len(cells):,} cells"))

    k = 256
    sample = random.Random(0).sample(range(und.vcount()), min(k, und.vcount()))
    t_ours, _ = timed(lambda: betweenness(g, k=k, seed=0))
    t_theirs, _ = timed(lambda: und.betweenness(directed=False, sources=sample))
    lines.append(row("betweenness, k=256 sources", t_ours, t_theirs))

    if n <= 100_000:
        simple = nx.Graph(g.to_undirected(as_view=True))
        t_nx, _ = timed(lambda: nx.pagerank(simple))
        lines.append(row("(plain NetworkX PageRank)", t_nx, None, "for reference"))
        t_nx, _ = timed(lambda: list(nx.connected_components(simple)))
        lines.append(row("(plain NetworkX components)", t_nx, None, "for reference"))
        del simple

    rng = random.Random(7)
    nodes = list(g.nodes)
    name_index = {name: i for i, name in enumerate(ig.vs["name"])}
    ego_ours, ego_theirs, ego_sizes, path_ours, path_theirs, ego_json = [], [], [], [], [], []
    from graph.export import to_json

    for _ in range(queries):
        centre = rng.choice(nodes)
        t0 = time.perf_counter()
        ego = ego_network(g, centre, radius=2)
        size = ego.number_of_nodes()
        ego_ours.append(time.perf_counter() - t0)
        ego_sizes.append(size)
        t0 = time.perf_counter()
        capped = ego_network(g, centre, radius=2, max_nodes=300)
        to_json(capped)
        ego_json.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ig.neighborhood(name_index[centre], order=2, mode="all")
        ego_theirs.append(time.perf_counter() - t0)
        a, b = rng.choice(nodes), rng.choice(nodes)
        t0 = time.perf_counter()
        shortest_path(g, a, b)
        path_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ig.get_shortest_paths(name_index[a], to=name_index[b], mode="all")
        path_theirs.append(time.perf_counter() - t0)
    for label, ours, theirs, note in (
        (
            "ego radius 2",
            ego_ours,
            ego_theirs,
            f"median {statistics.median(ego_sizes):,.0f} nodes, max {max(ego_sizes):,}",
        ),
        ("shortest path", path_ours, path_theirs, "ignoring direction"),
    ):
        o50, o95 = percentiles(ours)
        t50, t95 = percentiles(theirs)
        ours_ms = f"{o50 * 1000:.2f} ms ({o95 * 1000:.1f})"
        theirs_ms = f"{t50 * 1000:.2f} ms ({t95 * 1000:.1f})"
        lines.append(
            f"| {label}, p50 (p95) | {ours_ms} | {theirs_ms} | {o50 / t50:.2f}x | {note} |"
        )
    j50, j95 = percentiles(ego_json)
    lines.append(
        f"| ego radius 2 capped at 300 nodes + Cytoscape JSON, p50 (p95) "
        f"| {j50 * 1000:.2f} ms ({j95 * 1000:.1f}) | — | — | what the browser asks for |"
    )

    extra = generate(n + PER_BULLETIN, seed=SEED)[-1]
    extra = Bulletin(
        Provenance("XX-new", "FR", date(2026, 1, 1), "TLP:AMBER"), extra.entities, extra.relations
    )
    t_add, _ = timed(lambda: add_bulletin(g, extra))
    t_remove, _ = timed(lambda: remove_bulletin(g, "XX-new"))
    lines.append(
        row("add one bulletin (incremental)", t_add, None, f"{len(extra.relations)} relations")
    )
    lines.append(row("remove one bulletin", t_remove, None, "retraction"))
    lines += [
        "",
        f"Memory: the NetworkX graph adds {graph_bytes / 2**30:.2f} GiB of resident memory "
        f"({graph_bytes / max(g.number_of_edges(), 1):.0f} bytes per edge); the igraph mirror "
        f"{mirror_bytes / 2**20:.0f} MiB.",
        "",
    ]
    gc.unfreeze()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--build-only", action="store_true", help="only the build figures (and the floor)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="build timings per size for the floor ratios"
    )
    parser.add_argument(
        "--top", type=int, default=0, help="show the N lines allocating most (memory breakdown)"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "time":
            result: Any = _timings(int(rest[0]))
        else:
            build = _ours if rest[0] == "ours" else bare_networkx_build
            result = _retained(build, int(rest[1]), int(rest[2]))
        print(json.dumps(result))
        return
    print(
        f"Python {platform.python_version()}, NetworkX {nx.__version__}, "
        f"igraph {igraph.__version__}, {os.cpu_count()} CPUs, seed {SEED}\n"
    )
    for n in args.sizes:
        if args.build_only:
            for line in floor_ratios(n, args.runs if n <= 100_000 else 1, args.top):
                print(line, flush=True)
            continue
        for line in bench(n, args.queries, args.build_only):
            print(line, flush=True)


if __name__ == "__main__":
    main()
