"""Exports of a link graph: JSON for the browser, GraphML, GEXF and a CSV edge list.

Every export is deterministic (nodes and edges sorted by id) and carries the
provenance of each node and edge — bulletin ids, organisations, markings,
dates — flattened to strings for the desktop formats. Export a readable
subgraph (or a view of one): an export holds whatever the graph holds. The
SVG drawing is in :mod:`graph.drawing`.

Nodes keep their key as ``id`` (GraphML and GEXF node ids, the CSV's ``source`` and
``target``) and carry what a person would write as ``label`` (:func:`graph.labels.display_label`;
the CSV's ``source_label`` and ``target_label``).

The browser JSON is the Cytoscape.js elements format::

    {"elements": {"nodes": [{"data": {"id": ..., "label": ..., "type": ...,
                                       "organisations": [...], "markings": [...],
                                       "bulletins": [...], "bulletin_count": 3,
                                       "community": 0, "score": 0.12}}, ...],
                  "edges": [{"data": {"id": ..., "source": ..., "target": ...,
                                       "type": ..., "bulletins": [...],
                                       "bulletin_count": 1, "organisations": [...],
                                       "markings": [...], "dates": [...]}}, ...]}}

Examples
--------
>>> import networkx as nx
>>> from datetime import date
>>> from graph.build import build_graph
>>> from graph.model import Bulletin, Entity, Provenance, Relation
>>> g = build_graph([Bulletin(Provenance("B-1", "FR", date(2025, 1, 1), "TLP:AMBER"),
...     (Entity("p", "person", name="Karim"), Entity("q", "person", name="Yassine")),
...     (Relation("recruited", "p", "q", date(2024, 11, 2)),))], bulletin_nodes=False)
>>> elements = to_cytoscape(g)["elements"]
>>> [e["data"]["type"] for e in elements["edges"]]
['recruited']
>>> nx.read_graphml(__import__("io").BytesIO(to_graphml(g))).number_of_nodes()
2
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import networkx as nx  # type: ignore[import-untyped]

from graph.build import edge_reports
from graph.labels import display_label
from graph.model import Bulletin

__all__ = ["to_csv", "to_cytoscape", "to_gexf", "to_graphml", "to_json"]


def _provenance_of(
    g: Any,
    bulletin_ids: Collection[str],
    limit: int | None = None,
    sources: tuple[tuple[str, ...], tuple[str, ...]] | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """Bulletin ids (the first ``limit`` in order), and every organisation and marking."""
    bulletins: dict[str, Bulletin] = g.graph.get("bulletins", {})
    if limit is None or len(bulletin_ids) <= limit:
        ids = sorted(bulletin_ids)
    else:
        ids = heapq.nsmallest(limit, bulletin_ids)
    if sources is not None:
        return ids, list(sources[0]), list(sources[1])
    provenances = [bulletins[b].provenance for b in bulletin_ids if b in bulletins]
    organisations = sorted({p.organisation for p in provenances})
    markings: list[str] = sorted({p.marking for p in provenances})
    return ids, organisations, markings


def _node_bulletins(data: Mapping[str, Any]) -> Collection[str]:
    if data.get("type") == "bulletin":
        return (str(data["label"]),)
    mentions: dict[str, Any] = data.get("mentions", {})
    return mentions.keys()


def _node_record(
    g: Any, node: str, data: Mapping[str, Any], limit: int | None = None
) -> dict[str, Any]:
    named_in = _node_bulletins(data)
    ids, organisations, markings = _provenance_of(g, named_in, limit, data.get("sources"))
    record: dict[str, Any] = {
        "id": node,
        "label": display_label(node, data),
        "type": str(data.get("type", "")),
        "bulletins": ids,
        "bulletin_count": len(named_in),
        "organisations": organisations,
        "markings": markings,
    }
    if data.get("type") == "bulletin":
        record["reported_on"] = data["reported_on"].isoformat()
    return record


def _edge_record(
    g: Any, source: str, target: str, key: str, data: Mapping[str, Any], limit: int | None = None
) -> dict[str, Any]:
    reports = edge_reports(data) if "reports" in data else {}
    ids, organisations, markings = _provenance_of(g, reports.keys(), limit)
    return {
        "id": f"{source}|{target}|{key}",
        "source": source,
        "target": target,
        "type": str(data.get("type", key)),
        "bulletins": ids,
        "organisations": organisations,
        "markings": markings,
        "bulletin_count": len(reports),
        "dates": sorted({d.isoformat() for d in reports.values() if d is not None}),
    }


def _sorted_edges(g: Any) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    return sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))


def to_cytoscape(
    g: Any,
    *,
    communities: Iterable[Iterable[str]] | None = None,
    scores: Mapping[str, float] | None = None,
    max_bulletins: int | None = 20,
) -> dict[str, Any]:
    """The graph as Cytoscape.js elements (see the module docstring for the shape).

    Parameters
    ----------
    communities : iterable of iterable of str, optional
        Cells from :func:`graph.analytics.communities`; each node gets the index
        of its cell as ``community`` (for colour).
    scores : mapping, optional
        A centrality per node (PageRank, betweenness) stored as ``score`` (for size).
    max_bulletins : int, optional
        List at most this many bulletin ids per element (the first, by id);
        ``bulletin_count`` always gives the total, and organisations and markings
        are always complete. ``None`` lists all.

    Returns
    -------
    dict
        JSON-serialisable.
    """
    cell_of = {node: i for i, cell in enumerate(communities or ()) for node in cell}
    nodes = []
    for node in sorted(g.nodes):
        record = _node_record(g, node, g.nodes[node], max_bulletins)
        if node in cell_of:
            record["community"] = cell_of[node]
        if scores is not None and node in scores:
            record["score"] = scores[node]
        nodes.append({"data": record})
    edges = [{"data": _edge_record(g, *edge, max_bulletins)} for edge in _sorted_edges(g)]
    return {"elements": {"nodes": nodes, "edges": edges}}


def to_json(g: Any, **options: Any) -> str:
    """:func:`to_cytoscape` serialised (UTF-8 text, keys sorted), for a JSON endpoint."""
    return json.dumps(to_cytoscape(g, **options), ensure_ascii=False, sort_keys=True)


def _flat(g: Any) -> Any:
    """A copy with only string attributes, as GraphML and GEXF need."""
    flat = nx.MultiDiGraph()
    for node in sorted(g.nodes):
        record = _node_record(g, node, g.nodes[node])
        flat.add_node(
            node,
            key=node,
            label=record["label"],
            type=record["type"],
            bulletins=";".join(record["bulletins"]),
            organisations=";".join(record["organisations"]),
            markings=";".join(record["markings"]),
        )
    for source, target, key, data in _sorted_edges(g):
        record = _edge_record(g, source, target, key, data)
        flat.add_edge(
            source,
            target,
            key=str(key),
            type=record["type"],
            bulletins=";".join(record["bulletins"]),
            organisations=";".join(record["organisations"]),
            markings=";".join(record["markings"]),
            first_date=record["dates"][0] if record["dates"] else "",
            last_date=record["dates"][-1] if record["dates"] else "",
        )
    return flat


def to_graphml(g: Any) -> bytes:
    """GraphML (UTF-8) for yEd, Gephi and i2-style tools; NetworkX reads it back."""
    out = io.BytesIO()
    nx.write_graphml(_flat(g), out, encoding="utf-8")
    return out.getvalue()


def to_gexf(g: Any) -> bytes:
    """GEXF 1.2 (UTF-8) for Gephi."""
    out = io.BytesIO()
    nx.write_gexf(_flat(g), out, encoding="utf-8")
    return out.getvalue()


def _cell(value: str) -> str:
    # A spreadsheet runs a cell starting with these as a formula; names come from adversaries.
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(g: Any) -> str:
    """An edge list, one row per edge, with labels and provenance, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "source",
            "target",
            "type",
            "source_label",
            "target_label",
            "bulletins",
            "organisations",
            "markings",
            "first_date",
            "last_date",
        ]
    )
    for source, target, key, data in _sorted_edges(g):
        record = _edge_record(g, source, target, key, data)
        dates = record["dates"]
        row = [
            source,
            target,
            record["type"],
            display_label(source, g.nodes[source]),
            display_label(target, g.nodes[target]),
            ";".join(record["bulletins"]),
            ";".join(record["organisations"]),
            ";".join(record["markings"]),
            dates[0] if dates else "",
            dates[-1] if dates else "",
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
