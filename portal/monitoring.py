"""Prometheus metrics of the web process: requests and their latency by route rule.

The label is the URL rule (``/bulletins/<bulletin_id>``), never the path a client sent, so no
identifier reaches the metrics and their number of series stays bounded. Under gunicorn with
several workers each worker counts its own requests: set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before the workers start (prometheus_client then keeps the counters in files
there) and /metrics adds up every worker's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Flask, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from werkzeug.wrappers import Response

from portal.services.operations import metrics as figures

REQUESTS = Counter(
    "ischia_http_requests_total",
    "HTTP requests answered, by route rule, method and status.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "ischia_http_request_duration_seconds",
    "Time to answer an HTTP request, by route rule and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
_UNMATCHED = "(unmatched)"


def _started() -> None:
    g.ischia_request_started = time.perf_counter()


def _finished(response: Response) -> Response:
    started = g.pop("ischia_request_started", None)
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else _UNMATCHED
        REQUESTS.labels(rule, request.method, str(response.status_code)).inc()
        LATENCY.labels(rule, request.method).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    # First before_request, last after_request: the whole request is timed.
    app.before_request_funcs.setdefault(None, []).insert(0, _started)
    app.after_request(_finished)


class _PortalFigures(Collector):
    """Read at each scrape, in the scraping process (an app context is active)."""

    def collect(self):  # type: ignore[no-untyped-def]
        deadlines = figures.referral_deadlines()
        items = GaugeMetricFamily(
            "ischia_referral_items_deadline",
            "Open referral items whose deadline has passed (overdue) or falls within the hour.",
            labels=["when"],
        )
        items.add_metric(["overdue"], deadlines.overdue)
        items.add_metric(["within_hour"], deadlines.due_within_hour)
        yield items
        lengths = figures.queue_lengths()
        if lengths is not None:
            queues = GaugeMetricFamily(
                "ischia_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"]
            )
            for name, length in sorted(lengths.items()):
                queues.add_metric([name], length)
            yield queues
        yield from self._graphs()

    def _graphs(self) -> Iterator[GaugeMetricFamily]:
        where = "this process or the graph processes"
        nodes = GaugeMetricFamily(
            "ischia_graph_cache_nodes",
            f"Nodes of each organisation's link graph held by {where}.",
            labels=["org_id"],
        )
        edges = GaugeMetricFamily(
            "ischia_graph_cache_edges",
            f"Edges of each organisation's link graph held by {where}.",
            labels=["org_id"],
        )
        sizes = figures.graph_cache_sizes()
        for size in sizes:
            nodes.add_metric([str(size.org_id)], size.nodes)
            edges.add_metric([str(size.org_id)], size.edges)
        cached = GaugeMetricFamily(
            "ischia_graph_cache_graphs", f"Link graphs held by {where}.", value=len(sizes)
        )
        yield from (nodes, edges, cached)
        processes = figures.graph_processes()
        if not processes:
            return
        up = GaugeMetricFamily(
            "ischia_graph_process_up", "1 if the graph process answers.", labels=["socket"]
        )
        building = GaugeMetricFamily(
            "ischia_graph_process_building",
            "1 while the graph process is still building its graphs.",
            labels=["socket"],
        )
        for process in processes:
            up.add_metric([process.socket], 1 if process.up else 0)
            if process.up and process.warming is not None:
                building.add_metric([process.socket], 1 if process.warming else 0)
        yield from (up, building)


def exposition() -> bytes:
    """The text format of every metric: this process's (or all workers', in multiprocess
    mode) request counters and the portal's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(_PortalFigures())
    return generate_latest(registry)
