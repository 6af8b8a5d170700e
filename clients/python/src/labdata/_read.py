"""The read side: runs listed, filtered and ordered; a run's metric history; its files.

``list_runs`` pages through ``Query.runs`` (100 a page) with the run filter language as
``search`` and the filter fields as ``filter``. Ordering by start time, creation time or
name is the platform's; ordering by a metric (``metrics.<name>``, its last value, or
``min(...)``/``max(...)``) is sent as ``RunOrder.metric`` when the platform has it
(``_features``), else done here after reading every matching run (runs without the
metric last either way).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from ._errors import LabError
from ._features import Features
from ._graphql import GraphQLClient

RUN_FIELDS = """id name status params tags startTime endTime duration createdAt
  experiment { id name project { id name } }
  metrics { name last min max count lastStep }"""
#: Fields of Run read when the platform has them (``_features``).
OPTIONAL_RUN_FIELDS = {"config": "config", "notes": "notes", "source": "source { commit branch dirty entryPoint host }"}
RUNS = """query LabdataRuns($filter: RunFilter, $search: String, $first: Int, $after: String, $order: RunOrder) {
  runs(filter: $filter, search: $search, first: $first, after: $after, orderBy: $order) {
    edges { node { %s } } pageInfo { hasNextPage endCursor } totalCount } }"""
RUN = "query LabdataRun($id: ID!) { run(id: $id) { %s } }"


def run_fields(features: Features) -> str:
    """The Run fields to select on this platform."""
    extra = [text for name, text in OPTIONAL_RUN_FIELDS.items() if name in features.run_fields]
    return " ".join([RUN_FIELDS, *extra])
SERIES = """query LabdataSeries($id: ID!, $name: String!, $max: Int) {
  run(id: $id) { metricSeries(name: $name, maxPoints: $max) { exact points { step timestamp value min max count } } } }"""
OUTPUTS = """query LabdataOutputs($id: ID!, $after: String) {
  run(id: $id) { outputs(first: 1000, after: $after) { edges { node { id name key sizeBytes checksum contentType etag versionId lastModified } }
  pageInfo { hasNextPage endCursor } } } }"""

ORDER_FIELDS = {"start_time": "START_TIME", "created_at": "CREATED_AT", "name": "NAME"}
ORDER_RE = re.compile(r"^([+-]?)(?:(min|max|last)\()?(metrics\.[A-Za-z0-9_./-]+|start_time|created_at|name)\)?$")


def parse_order(order: Optional[str]) -> Optional[Tuple[str, str, str]]:
    """``"-metrics.val_loss"`` -> ("metric", "val_loss", "DESC"); ``"start_time"`` -> ("field", "START_TIME", "ASC").

    ``min(metrics.loss)`` and ``max(...)`` pick the aggregate (default: the last value).
    """
    if order is None:
        return None
    match = ORDER_RE.match(order.strip())
    if not match:
        raise ValueError(
            f"order {order!r}: use [+-]start_time, created_at, name or metrics.<name> (optionally min(...)/max(...))"
        )
    sign, aggregate, what = match.groups()
    direction = "DESC" if sign == "-" else "ASC"
    if what.startswith("metrics."):
        return ("metric:" + (aggregate or "last"), what[len("metrics.") :], direction)
    if aggregate:
        raise ValueError(f"order {order!r}: min()/max() apply to metrics only")
    return ("field", ORDER_FIELDS[what], direction)


def list_runs(
    client: GraphQLClient,
    features: Features,
    *,
    run_filter: Mapping[str, Any],
    search: Optional[str],
    order: Optional[str],
    limit: Optional[int],
) -> List[Dict[str, Any]]:
    """The matching runs as GraphQL nodes, in the order asked, at most ``limit``."""
    parsed = parse_order(order)
    order_input: Optional[Dict[str, Any]] = None
    local_metric: Optional[Tuple[str, str, str]] = None
    if parsed and parsed[0] == "field":
        order_input = {"field": parsed[1], "direction": parsed[2]}
    elif parsed:
        if features.order_by_metric:
            aggregate = parsed[0].split(":", 1)[1].upper()
            order_input = {"metric": {"name": parsed[1], "aggregate": aggregate}, "direction": parsed[2]}
        else:
            local_metric = parsed
    runs: List[Dict[str, Any]] = []
    after = None
    while True:
        page_size = 100 if limit is None or local_metric else max(1, min(100, limit - len(runs)))
        page = client.execute(
            RUNS % run_fields(features),
            {"filter": dict(run_filter) or None, "search": search, "first": page_size, "after": after, "order": order_input},
        )["runs"]
        runs.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"] or (limit is not None and not local_metric and len(runs) >= limit):
            break
        after = page["pageInfo"]["endCursor"]
    if local_metric:
        runs = sort_by_metric(runs, local_metric[1], local_metric[0].split(":", 1)[1], local_metric[2] == "DESC")
    return runs if limit is None else runs[:limit]


def metric_value(run: Mapping[str, Any], name: str, aggregate: str = "last") -> Optional[float]:
    for summary in run.get("metrics") or []:
        if summary.get("name") == name:
            return summary.get(aggregate)
    return None


def sort_by_metric(runs: List[Dict[str, Any]], name: str, aggregate: str, descending: bool) -> List[Dict[str, Any]]:
    """Stable sort by one metric's aggregate; runs without it go last either way."""
    having = [r for r in runs if metric_value(r, name, aggregate) is not None]
    missing = [r for r in runs if metric_value(r, name, aggregate) is None]
    having.sort(key=lambda r: metric_value(r, name, aggregate), reverse=descending)  # type: ignore[arg-type,return-value]
    return having + missing


def get_run(client: GraphQLClient, features: Features, run_id: str) -> Dict[str, Any]:
    return client.execute(RUN % run_fields(features), {"id": run_id})["run"]


def history(client: GraphQLClient, run_id: str, name: str, max_points: int) -> List[Dict[str, Any]]:
    """The series of one metric: ``{step, timestamp, value, min, max, count}`` rows in step order."""
    data = client.execute(SERIES, {"id": run_id, "name": name, "max": max_points})["run"]
    series = data.get("metricSeries") if data else None
    if series is None:
        return []
    return [
        {
            "step": int(p["step"]),
            "timestamp": p["timestamp"],
            "value": p["value"],
            "min": p["min"],
            "max": p["max"],
            "count": int(p["count"]),
        }
        for p in series["points"]
    ]


def outputs(client: GraphQLClient, run_id: str) -> List[Dict[str, Any]]:
    files: List[Dict[str, Any]] = []
    after = None
    while True:
        page = client.execute(OUTPUTS, {"id": run_id, "after": after})["run"]["outputs"]
        files.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return files
        after = page["pageInfo"]["endCursor"]


def to_dataframe(rows: List[Dict[str, Any]]) -> Any:
    """A pandas DataFrame of the rows; LabError when pandas is not installed."""
    try:
        import pandas  # type: ignore[import-not-found]
    except ImportError:
        raise LabError("pandas is not installed: pip install pandas, or call history() without pandas=True") from None
    return pandas.DataFrame.from_records(rows, columns=["step", "timestamp", "value", "min", "max", "count"])


def unflatten(params: Mapping[str, Any]) -> Dict[str, Any]:
    """Dotted params back into a nested config (``{"optimizer.lr": "0.1"}`` -> ``{"optimizer": {"lr": "0.1"}}``)."""
    out: Dict[str, Any] = {}
    for key, value in params.items():
        node: Dict[str, Any] = out
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {} if child is None else {"": child}
                node[part] = child
            node = child
        if isinstance(node.get(parts[-1]), dict):
            node[parts[-1]][""] = value
        else:
            node[parts[-1]] = value
    return out


FilterArg = Union[str, Mapping[str, Any], None]
