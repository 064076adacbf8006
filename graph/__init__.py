"""Ischia's link graphs: a pure library over NetworkX (no Flask, no SQLAlchemy, no portal).

The portal hands over what bulletins say (:mod:`graph.model`); the library
normalises identifiers (:mod:`graph.normalise`), builds one NetworkX
``MultiDiGraph`` with provenance on every node and edge (:mod:`graph.build`),
filters it to what an organisation may read, analyses it (:mod:`graph.analytics`,
:mod:`graph.queries`, :mod:`graph.findings`), finds nodes (:mod:`graph.search`),
suggests person merges (:mod:`graph.resolution`, :mod:`graph.merges`) and
exports it (:mod:`graph.export`, :mod:`graph.drawing`). ``graph/README.md``
is the guide for the portal side.

The names below are the whole public API; import them from ``graph``.

Examples
--------
>>> from datetime import date
>>> import graph
>>> b = graph.Bulletin(
...     graph.Provenance("FR-1", "FR", date(2025, 1, 10), "TLP:AMBER"),
...     (graph.Entity("p", "person", name="Abu Muhammad al-Adnani"),
...      graph.Entity("a", "account", url="https://t.me/adnani_media")),
...     (graph.Relation("uses_account", "p", "a"),))
>>> g = graph.build_graph([b])
>>> view = graph.readable_subgraph(g, {"FR-1"})
>>> [h.node for h in graph.find_nodes(view, "أبو محمد العدناني")]
['person:FR-1:p']
"""

from graph.accelerate import ACCELERATE_ABOVE_NODES, Backend, igraph_mirror
from graph.analytics import (
    CommunityMethod,
    betweenness,
    brokers,
    communities,
    components,
    influence,
    modularity,
    pagerank,
)
from graph.build import (
    REPORTED_IN,
    DuplicateBulletin,
    EdgeProvenance,
    Journey,
    UnknownBulletin,
    add_bulletin,
    apply_merges,
    build_graph,
    edge_provenance,
    edge_reports,
    graph_version,
    new_graph,
    node_bulletins,
    node_markings,
    node_of,
    node_organisations,
    node_provenance,
    person_mentions,
    readable_subgraph,
    remove_bulletin,
)
from graph.drawing import to_svg
from graph.export import to_csv, to_cytoscape, to_gexf, to_graphml, to_json
from graph.findings import SharedEntity, TimelineEvent, shared_entities, timeline
from graph.labels import display_label, record_label
from graph.merges import ConfirmedMerge, PersonMerges, person_mention_id
from graph.model import (
    Bulletin,
    Entity,
    EntityType,
    InvalidBulletin,
    Marking,
    NodeType,
    Provenance,
    Relation,
    RelationType,
    TravelEvent,
)
from graph.normalise import NotNormalisable, entity_key, name_key, name_similarity
from graph.queries import (
    NoSuchNode,
    ego_network,
    ego_view,
    k_shortest_paths,
    shortest_path,
    shortest_paths,
)
from graph.resolution import SCORE_EXPLAINED, PersonMatch, name_reason, possible_same_person
from graph.search import HitGroup, SearchHit, find_nodes, group_hits
from graph.sightings import Sighting, set_sightings, sighting_node, sightings_of
from graph.subgraphs import entity_graph, filtered

__all__ = [
    "ACCELERATE_ABOVE_NODES",
    "REPORTED_IN",
    "SCORE_EXPLAINED",
    "Backend",
    "Bulletin",
    "CommunityMethod",
    "ConfirmedMerge",
    "DuplicateBulletin",
    "EdgeProvenance",
    "Entity",
    "EntityType",
    "HitGroup",
    "InvalidBulletin",
    "Journey",
    "Marking",
    "NoSuchNode",
    "NodeType",
    "NotNormalisable",
    "PersonMatch",
    "PersonMerges",
    "Provenance",
    "Relation",
    "RelationType",
    "SearchHit",
    "SharedEntity",
    "Sighting",
    "TimelineEvent",
    "TravelEvent",
    "UnknownBulletin",
    "add_bulletin",
    "apply_merges",
    "betweenness",
    "brokers",
    "build_graph",
    "communities",
    "components",
    "display_label",
    "edge_provenance",
    "edge_reports",
    "ego_network",
    "ego_view",
    "entity_graph",
    "entity_key",
    "filtered",
    "find_nodes",
    "graph_version",
    "group_hits",
    "igraph_mirror",
    "influence",
    "k_shortest_paths",
    "modularity",
    "name_key",
    "name_reason",
    "name_similarity",
    "new_graph",
    "node_bulletins",
    "node_markings",
    "node_of",
    "node_organisations",
    "node_provenance",
    "pagerank",
    "person_mention_id",
    "person_mentions",
    "possible_same_person",
    "readable_subgraph",
    "record_label",
    "remove_bulletin",
    "set_sightings",
    "shared_entities",
    "shortest_path",
    "shortest_paths",
    "sighting_node",
    "sightings_of",
    "timeline",
    "to_csv",
    "to_cytoscape",
    "to_gexf",
    "to_graphml",
    "to_json",
    "to_svg",
]
