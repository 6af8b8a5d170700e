"""The registry side of a run's life: its project and experiment, startRun, finishRun.

Projects and experiments are found by name and created when missing (as ``wandb.init``
and ``mlflow.set_experiment`` do). Every mutation carries an ``Idempotency-Key``, so a
retry, or a ``sync`` that crashed half-way and runs again, does it once.

``start_run_input`` is the one place that maps a run's config and source onto the
schema: today config is flattened into ``params`` and source goes into ``source.*``
tags; with ``StartRunInput.config``/``source`` (``_features``) they are sent as fields.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ._errors import LabError
from ._features import Features
from ._graphql import GraphQLClient

log = logging.getLogger("labdata")

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/:]*$")
MAX_KEYS = 100
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 1_000
SOURCE_TAG_PREFIX = "source."

PROJECTS = """query LabdataProjects($search: String!, $after: String) {
  projects(filter: { search: $search }, first: 100, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""
PROJECT = "query LabdataProject($id: ID!) { project(id: $id) { id name } }"
CREATE_PROJECT = "mutation LabdataCreateProject($i: CreateProjectInput!) { createProject(input: $i) { id name } }"
EXPERIMENTS = """query LabdataExperiments($p: ID!, $n: String!, $after: String) {
  experiments(filter: { projectId: $p, nameSearch: $n }, first: 100, after: $after) { edges { node { id name } } pageInfo { hasNextPage endCursor } } }"""
CREATE_EXPERIMENT = "mutation LabdataCreateExperiment($i: CreateExperimentInput!) { createExperiment(input: $i) { id name } }"
START_RUN = """mutation LabdataStartRun($i: StartRunInput!) {
  startRun(input: $i) { id name status startTime experiment { id name project { id name } } } }"""
FINISH_RUN = """mutation LabdataFinishRun($id: ID!, $s: RunEndStatus, $t: DateTime) {
  finishRun(id: $id, status: $s, endTime: $t) { id status endTime } }"""
RUN_STATUS = "query LabdataRunStatus($id: ID!) { run(id: $id) { id status endTime } }"


def _find(client: GraphQLClient, query: str, variables: Dict[str, Any], field: str, name: str) -> Optional[Dict[str, Any]]:
    after = None
    while True:
        page = client.execute(query, dict(variables, after=after))[field]
        for edge in page["edges"]:
            if edge["node"]["name"] == name:
                return edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            return None
        after = page["pageInfo"]["endCursor"]


def find_project(client: GraphQLClient, project: str) -> Dict[str, Any]:
    """The project with that name or id; LabError NOT_FOUND when the caller sees none."""
    if UUID_RE.match(project):
        return client.execute(PROJECT, {"id": project})["project"]
    found = _find(client, PROJECTS, {"search": project}, "projects", project)
    if not found:
        raise LabError(f"no project named {project!r} that this key can read", "NOT_FOUND")
    return found


def ensure_project(client: GraphQLClient, project: str, key: Optional[str] = None) -> Dict[str, Any]:
    """The project named ``project`` (or with that id), created when the caller sees none of that name."""
    if UUID_RE.match(project):
        return client.execute(PROJECT, {"id": project})["project"]
    found = _find(client, PROJECTS, {"search": project}, "projects", project)
    if found:
        return found
    try:
        return client.execute(CREATE_PROJECT, {"i": {"name": project}}, idempotency_key=key)["createProject"]
    except LabError as error:
        if error.code != "CONFLICT":
            raise
        found = _find(client, PROJECTS, {"search": project}, "projects", project)
        if found:
            return found
        raise LabError(
            f"a project named {project!r} exists but the caller is not a member: ask one of its owners to add you",
            "CONFLICT",
            extensions=error.extensions,
        ) from None


def ensure_experiment(client: GraphQLClient, project_id: str, name: str, key: Optional[str] = None) -> Dict[str, Any]:
    """The experiment of that name in the project, created when missing."""
    found = _find(client, EXPERIMENTS, {"p": project_id, "n": name}, "experiments", name)
    if found:
        return found
    try:
        return client.execute(CREATE_EXPERIMENT, {"i": {"projectId": project_id, "name": name}}, idempotency_key=key)[
            "createExperiment"
        ]
    except LabError as error:
        if error.code != "CONFLICT":
            raise
        found = _find(client, EXPERIMENTS, {"p": project_id, "n": name}, "experiments", name)
        if found:
            return found
        raise


def _clean_key(key: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._\-/:]", "_", key).lstrip("._-/:") or "key"
    return cleaned[:MAX_KEY_LENGTH]


def _param_value(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2**53) or isinstance(value, str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if value is None or isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, sort_keys=True)
    return str(value)


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """``{"optimizer": {"lr": 1e-4}}`` -> ``{"optimizer.lr": 0.0001}``; lists as JSON text; keys made valid."""
    out: Dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{_clean_key(str(key))}"
        if isinstance(value, Mapping) and value:
            out.update(flatten_config(value, f"{name}."))
        else:
            out[name[:MAX_KEY_LENGTH]] = _param_value(value)
    return out


def bounded(values: Dict[str, Any], what: str) -> Tuple[Dict[str, Any], bool]:
    """At most 100 keys of values up to 1,000 characters, as the registry accepts; True when something was cut."""
    out: Dict[str, Any] = {}
    cut = False
    for key, value in values.items():
        if len(out) >= MAX_KEYS:
            cut = True
            break
        if isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
            value, cut = value[: MAX_VALUE_LENGTH - 3] + "...", True
        out[key] = value
    if cut:
        log.warning("labdata: %s cut to the registry's limits (100 keys of up to 1,000 characters)", what)
    return out, cut


def json_safe(value: Any) -> Any:
    """A config as plain JSON (numpy scalars, paths and the like as their text)."""
    return json.loads(json.dumps(value, default=str))


def source_tags(source: Mapping[str, Any]) -> Dict[str, str]:
    """``{"commit": ..., "dirty": True}`` -> ``{"source.commit": ..., "source.dirty": "true"}``."""
    return {
        f"{SOURCE_TAG_PREFIX}{k}": ("true" if v is True else "false" if v is False else str(v)) for k, v in source.items()
    }


def start_run_input(
    experiment_id: str,
    name: str,
    *,
    config: Mapping[str, Any],
    tags: Mapping[str, Any],
    source: Mapping[str, Any],
    start_time: str,
    inputs: Optional[List[str]],
    features: Features,
) -> Tuple[Dict[str, Any], bool]:
    """StartRunInput for the platform's schema; True when the config did not fit into params whole."""
    run: Dict[str, Any] = {"experimentId": experiment_id, "name": name, "startTime": start_time}
    config_cut = False
    if features.run_config:
        run["config"] = json_safe(dict(config))
    elif config:
        run["params"], config_cut = bounded(flatten_config(config), "the config flattened into params")
    extra_tags: Dict[str, Any] = {}
    if features.run_source:
        run["source"] = {k: v for k, v in source.items() if k in features.source_fields and _source_ok(k, v)}
        extra_tags = source_tags({k: v for k, v in source.items() if k not in features.source_fields})
    else:
        extra_tags = source_tags(source)
    all_tags = {**{_clean_key(str(k)): _param_value(v) for k, v in tags.items()}, **extra_tags}
    if all_tags:
        run["tags"], _ = bounded(all_tags, "the tags")
    if inputs:
        run["inputs"] = list(inputs)
    return run, config_cut


_SOURCE_RULES = {
    "commit": re.compile(r"^[0-9a-fA-F]{7,64}$"),
    "host": re.compile(r"^[A-Za-z0-9._-]{1,253}$"),
    "branch": re.compile(r"^[^\x00-\x1f\x7f ~^:?*\[\\]{1,255}$"),
    "entryPoint": re.compile(r"^[^\x00-\x1f\x7f]{1,1024}$"),
}


def _source_ok(key: str, value: Any) -> bool:
    """Whether the registry takes this source value (RunSourceInput's rules); others are left out."""
    if isinstance(value, bool):
        return key == "dirty"
    rule = _SOURCE_RULES.get(key)
    return isinstance(value, str) and (rule is None or bool(rule.match(value)))


UPDATE_RUN = """mutation LabdataUpdateRun($id: ID!, $i: UpdateRunInput!) {
  updateRun(id: $id, input: $i) { id name status tags params notes } }"""


def update_run(client: GraphQLClient, features: Features, run_id: str, changes: Dict[str, Any], key: str) -> Dict[str, Any]:
    """updateRun with the fields given (LabError when the platform has no updateRun)."""
    if not features.update_run:
        raise LabError("this platform has no updateRun: a run's name, tags and notes are set at its start", "BAD_USER_INPUT")
    return client.execute(UPDATE_RUN, {"id": run_id, "i": changes}, idempotency_key=key)["updateRun"]


def update_input(
    name: Optional[str], notes: Optional[str], tags: Optional[Mapping[str, Any]], remove_tags: Optional[List[str]],
    params: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    """UpdateRunInput of the changes asked (None: unchanged)."""
    changes: Dict[str, Any] = {}
    if name is not None:
        changes["name"] = name
    if notes is not None:
        changes["notes"] = notes
    if tags:
        changes["addTags"] = {_clean_key(str(k)): _param_value(v) for k, v in tags.items()}
    if remove_tags:
        changes["removeTags"] = list(remove_tags)
    if params:
        changes["addParams"] = {_clean_key(str(k)): _param_value(v) for k, v in params.items()}
    if not changes:
        raise ValueError("update: nothing to change")
    return changes


def start_run(client: GraphQLClient, run_input: Dict[str, Any], key: str) -> Dict[str, Any]:
    return client.execute(START_RUN, {"i": run_input}, idempotency_key=key)["startRun"]


def finish_run(client: GraphQLClient, run_id: str, status: str, end_time: str, key: str) -> Dict[str, Any]:
    """finishRun once; a run another call already finished answers its state instead of CONFLICT."""
    try:
        return client.execute(FINISH_RUN, {"id": run_id, "s": status, "t": end_time}, idempotency_key=key)["finishRun"]
    except LabError as error:
        if error.code != "CONFLICT" or error.extensions.get("reason"):
            raise
        run = client.execute(RUN_STATUS, {"id": run_id})["run"]
        if run["status"] == "RUNNING":
            raise
        return run
