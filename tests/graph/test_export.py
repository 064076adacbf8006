"""Exports: JSON for Cytoscape.js, GraphML and GEXF read back by NetworkX, CSV, SVG."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date

import networkx as nx
import pytest

from graph.analytics import communities, pagerank
from graph.build import build_graph
from graph.drawing import MAX_DRAWN_NODES, to_svg
from graph.export import to_csv, to_cytoscape, to_gexf, to_graphml, to_json
from graph.model import Bulletin, Entity, Provenance, Relation
from graph.queries import ego_network
from tests.graph import scenario

HOSTILE = '=HYPERLINK("http://evil.example","x") <script>alert(1)</script> & "quotes"'


@pytest.fixture(scope="module")
def g() -> nx.MultiDiGraph:
    hostile = Bulletin(
        Provenance("IT-1", "IT", date(2025, 3, 3), "TLP:AMBER+STRICT"),
        (Entity("p", "person", name=HOSTILE), Entity("q", "person", name="Ανδρέας")),
        (Relation("contacted", "p", "q"),),
    )
    return build_graph([*scenario.ALL, hostile])


def test_cytoscape_elements(g: nx.MultiDiGraph) -> None:
    cells = communities(g)
    scores = pagerank(g)
    elements = to_cytoscape(g, communities=cells, scores=scores)["elements"]
    nodes = {n["data"]["id"]: n["data"] for n in elements["nodes"]}
    assert set(nodes) == set(g.nodes)
    tg = nodes["account:telegram:adnani_media"]
    assert tg["type"] == "account"
    assert tg["organisations"] == ["DE", "FR"]
    assert tg["bulletins"] == ["DE-1", "FR-1"]
    assert tg["bulletin_count"] == 2
    assert tg["markings"] == ["TLP:AMBER", "TLP:RED"]
    assert isinstance(tg["community"], int)
    assert tg["score"] == pytest.approx(scores["account:telegram:adnani_media"])
    assert nodes["bulletin:FR-1"]["reported_on"] == "2025-01-10"
    edges = {e["data"]["id"]: e["data"] for e in elements["edges"]}
    assert len(edges) == g.number_of_edges()
    recruited = edges["person:FR-1:karim|person:FR-1:yassine|recruited"]
    assert (recruited["source"], recruited["target"]) == (
        "person:FR-1:karim",
        "person:FR-1:yassine",
    )
    assert recruited["dates"] == ["2024-10-03"]
    assert recruited["organisations"] == ["FR"]


def test_cytoscape_lists_a_bounded_number_of_bulletins() -> None:
    many = [
        Bulletin(
            Provenance(f"FR-{i:03d}", "FR", date(2025, 1, 1), "TLP:GREEN"),
            (Entity("a", "phone", value="+33612345678"),),
        )
        for i in range(30)
    ]
    data = to_cytoscape(build_graph(many), max_bulletins=5)["elements"]["nodes"]
    phone = next(n["data"] for n in data if n["data"]["id"] == "phone:+33612345678")
    assert phone["bulletins"] == ["FR-000", "FR-001", "FR-002", "FR-003", "FR-004"]
    assert phone["bulletin_count"] == 30


def test_json_is_deterministic_and_valid(g: nx.MultiDiGraph) -> None:
    text = to_json(g)
    assert text == to_json(build_graph(reversed([*g.graph["bulletins"].values()])))
    assert json.loads(text)["elements"]["nodes"]
    assert "Ανδρέας" in text  # UTF-8, not escapes


def test_graphml_reads_back_with_the_same_counts(g: nx.MultiDiGraph) -> None:
    back = nx.read_graphml(io.BytesIO(to_graphml(g)), force_multigraph=True)
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    tg = back.nodes["account:telegram:adnani_media"]
    assert (tg["type"], tg["organisations"], tg["bulletins"]) == ("account", "DE;FR", "DE-1;FR-1")
    assert back.nodes["person:IT-1:p"]["label"] == HOSTILE


def test_graphml_of_an_ego_view_reads_back(g: nx.MultiDiGraph) -> None:
    ego = ego_network(g, "person:FR-1:karim", radius=2)
    back = nx.read_graphml(io.BytesIO(to_graphml(ego)))
    assert back.number_of_nodes() == ego.number_of_nodes() > 3


def test_gexf_reads_back(g: nx.MultiDiGraph) -> None:
    back = nx.read_gexf(io.BytesIO(to_gexf(g)))
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()


def test_csv_edge_list_defuses_formulas(g: nx.MultiDiGraph) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(g))))
    assert len(rows) == g.number_of_edges()
    hostile = next(r for r in rows if r["source"] == "person:IT-1:p")
    assert hostile["source_label"] == "'" + HOSTILE
    assert hostile["markings"] == "TLP:AMBER+STRICT"
    first = next(r for r in rows if r["type"] == "recruited")
    assert (first["first_date"], first["last_date"]) == ("2024-10-03", "2024-10-03")


def test_svg_is_deterministic_well_formed_and_escaped(g: nx.MultiDiGraph) -> None:
    svg = to_svg(g, title="Cell <1> & co", sizes=pagerank(g))
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Cell &lt;1&gt; &amp; co" in svg
    assert svg == to_svg(g, title="Cell <1> & co", sizes=pagerank(g))
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert "Node types" in texts and "Cells" in texts
    assert "person" in texts and "account" in texts


def test_svg_colours_by_the_cells_given() -> None:
    g = nx.MultiDiGraph([("a", "b"), ("c", "d")])
    svg = to_svg(g, cells=[{"a", "b"}, {"c", "d"}])
    assert svg.count('fill="#1f77b4"') == 3  # two nodes and the legend
    assert svg.count('fill="#d62728"') == 3


def test_svg_refuses_huge_graphs() -> None:
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(MAX_DRAWN_NODES + 1))
    with pytest.raises(ValueError, match="too many"):
        to_svg(g)
