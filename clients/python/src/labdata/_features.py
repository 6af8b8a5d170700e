"""What the platform's schema offers, asked once per address by introspection.

The client speaks whichever schema the platform has, switching here and nowhere else
between a platform of before these fields and one with them:

- ``StartRunInput.config`` (a nested JSON object): sent as is; without it the config is
  flattened into ``params`` with dotted keys (``_registry.start_run_input``).
- ``StartRunInput.source`` (git commit, branch, dirty flag, entry point, host): sent as an
  object with the subfields its input type has; without it, and for subfields it lacks,
  ``source.*`` tags.
- ``Run.config``, ``Run.source``, ``Run.notes``: read when the type has them (``_read``).
- ``Mutation.updateRun``: ``Run.update`` and ``RunRecord.update``; without it they raise.
- ``RunOrder.metric`` (ordering by a metric's last, min or max): used by ``Api.runs``;
  without it the client sorts by the metric itself.

An introspection the gateway refuses counts as "none of them".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Optional

from ._errors import LabError
from ._graphql import GraphQLClient

QUERY = """query LabdataFeatures {
  startRun: __type(name: "StartRunInput") { inputFields { name type { kind name ofType { kind name } } } }
  runOrder: __type(name: "RunOrder") { inputFields { name } }
  run: __type(name: "Run") { fields { name } }
  mutation: __type(name: "Mutation") { fields { name } }
}"""
INPUT_FIELDS = 'query LabdataInputFields($name: String!) { type: __type(name: $name) { inputFields { name } } }'


@dataclass(frozen=True)
class Features:
    """Fields the platform has beyond today's core (module docstring)."""

    start_run_fields: FrozenSet[str] = frozenset({"experimentId", "name", "params", "tags", "inputs", "startTime"})
    source_fields: FrozenSet[str] = frozenset()
    run_order_fields: FrozenSet[str] = frozenset({"field", "direction"})
    run_fields: FrozenSet[str] = field(default_factory=frozenset)
    mutations: FrozenSet[str] = field(default_factory=frozenset)

    @property
    def run_config(self) -> bool:
        return "config" in self.start_run_fields

    @property
    def run_source(self) -> bool:
        return "source" in self.start_run_fields and bool(self.source_fields)

    @property
    def update_run(self) -> bool:
        return "updateRun" in self.mutations

    @property
    def order_by_metric(self) -> bool:
        return "metric" in self.run_order_fields


_cache: Dict[str, Features] = {}
_lock = threading.Lock()


def _names(node: Any, key: str) -> FrozenSet[str]:
    items = (node or {}).get(key) or []
    return frozenset(i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str))


def _named_type(type_ref: Optional[Dict[str, Any]]) -> Optional[str]:
    while isinstance(type_ref, dict):
        if type_ref.get("name"):
            return type_ref["name"]
        type_ref = type_ref.get("ofType")
    return None


def detect(client: GraphQLClient, refresh: bool = False) -> Features:
    """The features of the platform behind ``client`` (cached per address)."""
    with _lock:
        if not refresh and client.url in _cache:
            return _cache[client.url]
    try:
        data = client.execute(QUERY)
    except LabError as error:
        if error.code in ("SERVICE_UNAVAILABLE", "UNAUTHENTICATED", "RATE_LIMITED"):
            raise
        return Features()
    start_inputs = (data.get("startRun") or {}).get("inputFields") or []
    source_fields: FrozenSet[str] = frozenset()
    for item in start_inputs:
        if item.get("name") == "source":
            type_name = _named_type(item.get("type"))
            if type_name:
                try:
                    source_fields = _names(client.execute(INPUT_FIELDS, {"name": type_name}).get("type"), "inputFields")
                except LabError:
                    source_fields = frozenset()
    features = Features(
        start_run_fields=_names(data.get("startRun"), "inputFields") or Features().start_run_fields,
        source_fields=source_fields,
        run_order_fields=_names(data.get("runOrder"), "inputFields") or Features().run_order_fields,
        run_fields=_names(data.get("run"), "fields"),
        mutations=_names(data.get("mutation"), "fields"),
    )
    with _lock:
        _cache[client.url] = features
    return features
