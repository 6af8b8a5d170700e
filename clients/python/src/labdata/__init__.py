"""labdata: the Lab Data Platform from Python.

    import labdata

    run = labdata.init(project="pretraining", experiment="baseline", config={"optimizer": {"lr": 3e-4}})
    for step in range(1000):
        run.log({"train/loss": loss, "lr": lr}, step=step)   # never blocks
    run.log_artifact("model.safetensors")
    run.finish()                                              # or: with labdata.init(...) as run:

Address and key come from the arguments or ``LAB_URL`` / ``LAB_API_KEY``. This module is
the whole public API: ``init``, ``Run``, ``Api``, ``RunRecord``, ``Artifact``, ``LabError``,
``sync``; the modules starting with ``_`` are private.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import _artifacts, _exit, _features, _read, _registry, _settings, _source, _sync
from ._errors import LabError
from ._graphql import GraphQLClient, new_key
from ._points import MAX_STEP, check_name, check_step, flatten, iso_utc, timestamp_ms, to_float
from ._spool import RunSpool
from ._system import SystemMonitor
from ._transport import Sender
from ._version import __version__

__all__ = ["init", "Run", "Api", "RunRecord", "Artifact", "LabError", "sync", "__version__"]

log = logging.getLogger("labdata")
END_STATUSES = ("COMPLETED", "FAILED", "KILLED")
_NAME_CHARS = re.compile(r"[^\w .\-/:+@]", re.UNICODE)


def _default_run_name() -> str:
    entry = _source.entry_point() or "run"
    stem = os.path.splitext(os.path.basename(entry.replace("-m ", "")))[0] or "run"
    stem = _NAME_CHARS.sub("-", stem).strip(" ._-/:+@") or "run"
    return f"{stem[:100]}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


@dataclass
class Artifact:
    """A file of a run in S3: ``download(path)`` fetches it (checking its SHA-256)."""

    id: Optional[str]
    name: str
    size_bytes: int
    checksum: Optional[str] = None
    content_type: Optional[str] = None
    last_modified: Optional[str] = None
    version_id: Optional[str] = None
    _client: Optional[GraphQLClient] = field(default=None, repr=False, compare=False)

    @classmethod
    def _from(cls, node: Mapping[str, Any], client: Optional[GraphQLClient]) -> "Artifact":
        return cls(
            id=node.get("id"),
            name=node["name"],
            size_bytes=int(node.get("sizeBytes") or 0),
            checksum=node.get("checksum"),
            content_type=node.get("contentType"),
            last_modified=node.get("lastModified"),
            version_id=node.get("versionId"),
            _client=client,
        )

    def download(self, path: str = ".") -> str:
        """Saves the file at ``path`` (a folder: under its name); returns where. LabError when it fails."""
        if self._client is None or self.id is None:
            raise LabError(f"{self.name} is not on the platform yet (offline run: sync it first)", "NOT_FOUND")
        return _artifacts.download(self._client, self.id, path)


class Run:
    """A run being logged. Made by ``init()``; a context manager (an exception marks it FAILED).

    Attributes: ``id`` (None for an offline run until synced), ``name``, ``project``,
    ``experiment``, ``config``, ``tags``, ``source``, ``mode``, ``dir`` (its local folder,
    when it has one).
    """

    def __init__(self, **state: Any) -> None:
        self.id: Optional[str] = state.get("id")
        self.name: str = state["name"]
        self.project: Optional[str] = state.get("project")
        self.project_id: Optional[str] = state.get("project_id")
        self.experiment: Optional[str] = state.get("experiment")
        self.experiment_id: Optional[str] = state.get("experiment_id")
        self.config: Dict[str, Any] = dict(state.get("config") or {})
        self.tags: Dict[str, Any] = dict(state.get("tags") or {})
        self.source: Dict[str, Any] = dict(state.get("source") or {})
        self.mode: str = state["mode"]
        self._client: Optional[GraphQLClient] = state.get("client")
        self._spool: Optional[RunSpool] = state.get("spool")
        self._spool_record: Dict[str, Any] = state.get("spool_record") or {}
        self._base_dir: str = state["base_dir"]
        self._flush_timeout: float = state.get("flush_timeout", 30.0)
        self._sender: Optional[Sender] = None
        self._system: Optional[SystemMonitor] = None
        self._known: set = set()
        self._next_step = 0
        self._nonfinite = 0
        self._closed = self.mode == "disabled"
        self._finished = False
        self._warned_closed = False
        self._finish_lock = threading.Lock()
        self._spool_lock = threading.Lock()
        self.status: str = "RUNNING"

    @property
    def dir(self) -> Optional[str]:
        return self._spool.path if self._spool else None

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, name={self.name!r}, mode={self.mode!r}, status={self.status!r})"

    # -- logging ---------------------------------------------------------------------------------
    def log(self, metrics: Mapping[str, Any], step: Optional[int] = None, *, timestamp: Any = None) -> None:
        """Buffers one value per metric name at ``step`` and returns at once; a thread ships them.

        ``step`` defaults to one more than the previous call's (0 first). Nested mappings
        are joined with "/" (``{"train": {"loss": x}}`` is ``train/loss``). Values are numbers
        (ints, floats, bools, numpy scalars, one-element tensors); NaN and infinities are
        skipped and counted (``stats()["nonfinite"]``), as the platform stores no such value.
        ``timestamp`` (datetime, epoch seconds, ISO text) defaults to now. An invalid name
        or a value that is not a number raises ValueError/TypeError here; delivery problems
        never raise (``stats()``). When the buffer is full the point is dropped and counted.
        """
        if self._closed:
            self._warn_closed()
            return
        if step is None:
            step = self._next_step
        elif type(step) is not int or step < 0 or step > MAX_STEP:
            step = check_step(step)
        self._next_step = step + 1
        self._append(metrics, step, int(time.time() * 1000) if timestamp is None else timestamp_ms(timestamp))

    def _append(self, metrics: Mapping[str, Any], step: int, ts: int) -> None:
        """The hot path: one tuple per value into the sender's deque, nothing else."""
        if not self._known.issuperset(metrics):
            metrics = self._checked(metrics)
        sender = self._sender
        assert sender is not None
        buffer = sender.buffer
        append = buffer.append
        room = sender.max_buffered_points - len(buffer)
        added = 0
        for name, value in metrics.items():
            if type(value) is not float:
                value = to_float(value)
            if value - value != 0.0:  # NaN or an infinity
                self._nonfinite += 1
            elif added < room:
                append((name, value, step, ts))
                added += 1
            else:
                sender.dropped += 1
        sender.logged += added
        if len(buffer) >= sender.batch_size and not sender._wake.is_set():  # noqa: SLF001
            sender.wake()

    def _checked(self, metrics: Mapping[str, Any]) -> Mapping[str, Any]:
        """Nested mappings flattened and new names checked (then remembered, so this runs once per name)."""
        if any(isinstance(v, Mapping) for v in metrics.values()):
            metrics = dict(flatten(metrics))
        for name in metrics:
            if name not in self._known:
                check_name(name)
                self._known.add(name)
        return metrics

    def _log_system(self, values: Mapping[str, float], step: int) -> None:
        if not self._closed:
            self._append(values, step, int(time.time() * 1000))

    def _warn_closed(self) -> None:
        if not self._warned_closed and self.mode != "disabled":
            self._warned_closed = True
            warnings.warn(f"labdata: run {self.name!r} is finished; log() ignores further points", stacklevel=3)

    def log_artifact(
        self, path: str, name: Optional[str] = None, *, content_type: Optional[str] = None, overwrite: bool = False
    ) -> Artifact:
        """Uploads a file to the run's outputs (``name`` defaults to the file's name) and returns it.

        The SHA-256 is declared and verified by the platform. Files above the platform's
        multipart threshold go up in parts from 4 threads. This call blocks while uploading
        and raises LabError when the upload fails. Offline, the file is kept in the run's
        folder (a hard link when possible) and uploaded by ``sync``.
        """
        if self.mode == "disabled":
            return Artifact(None, name or os.path.basename(path), os.path.getsize(path))
        name = name or os.path.basename(path)
        if self.mode == "offline":
            checksum, size = _artifacts.file_digest(path)
            import mimetypes

            record = {"name": name, "checksum": checksum, "sizeBytes": size, "contentType": content_type or mimetypes.guess_type(name)[0]}
            assert self._spool is not None
            self._spool.add_artifact(path, record)
            return Artifact(None, name, size, checksum, record["contentType"])
        assert self._client is not None and self.id is not None
        node = _artifacts.upload(self._client, "RUN", self.id, path, name, content_type=content_type, overwrite=overwrite)
        return Artifact._from(node, self._client)

    def update(
        self,
        *,
        name: Optional[str] = None,
        notes: Optional[str] = None,
        tags: Optional[Mapping[str, Any]] = None,
        remove_tags: Optional[List[str]] = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Changes the run on the platform: ``name``, ``notes`` (markdown, replaced), ``tags`` (added or
        replaced), ``remove_tags`` (keys), ``params`` (added; a param logged with another value is CONFLICT).

        Needs a platform with ``updateRun`` and an online run; raises LabError otherwise or when refused.
        """
        if self.mode != "online" or self._client is None or self.id is None:
            raise LabError("update needs an online run", "BAD_USER_INPUT")
        changes = _registry.update_input(name, notes, tags, remove_tags, params)
        done = _registry.update_run(self._client, _features.detect(self._client), self.id, changes, new_key("update"))
        self.name = done["name"]
        if tags or remove_tags:
            self.tags = {k: v for k, v in done["tags"].items() if not k.startswith(_registry.SOURCE_TAG_PREFIX)}

    # -- ending ----------------------------------------------------------------------------------
    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every point logged so far is delivered (offline: on disk); False if ``timeout`` ran out."""
        if self._sender is None or self._closed:
            return True
        return self._sender.flush(timeout)

    def finish(self, status: str = "COMPLETED", *, timeout: Optional[float] = None) -> None:
        """Flushes (at most ``timeout`` seconds, default ``flush_timeout``) and ends the run as ``status``.

        ``status`` is COMPLETED, FAILED or KILLED. Points or the finish itself that could not
        reach the platform stay in the run's local folder for ``python -m labdata sync``;
        that is logged, not raised. Calling it again does nothing.
        """
        status = status.upper()
        if status not in END_STATUSES:
            raise ValueError(f"status must be one of {', '.join(END_STATUSES)}, got {status!r}")
        with self._finish_lock:
            if self._finished or self.mode == "disabled":
                return
            self._finished = self._closed = True
            self.status = status
        _exit.unregister(self)
        if self._system is not None:
            self._system.stop()
        end_time = iso_utc()
        delivered = self._sender.close(self._flush_timeout if timeout is None else timeout) if self._sender else True
        finish = {"status": status, "endTime": end_time, "key": new_key("finish")}
        if self.mode == "offline":
            assert self._spool is not None
            self._spool.update(finish=finish)
            self._spool.unlock()
            log.info("labdata: offline run saved in %s; upload it with: python -m labdata sync", self._spool.path)
            return
        assert self._client is not None and self.id is not None
        try:
            _registry.finish_run(self._client, self.id, status, end_time, finish["key"])
            finished = True
        except LabError as error:
            finished = False
            log.warning("labdata: run %s could not be finished on the platform (%s)", self.id, error)
        spool = self._spool if finished else self._ensure_spool()
        if spool is not None:
            spool.update(finish=finish, finished=finished)
            if not finished or not delivered or spool.batches():
                log.warning(
                    "labdata: run %s has data that did not reach the platform, kept in %s: "
                    "upload it with: python -m labdata sync --dir %s",
                    self.id,
                    spool.path,
                    self._base_dir,
                )
            spool.unlock()

    def __enter__(self) -> "Run":
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> bool:
        if kind is None:
            self.finish("COMPLETED")
        else:
            self.finish("KILLED" if issubclass(kind, KeyboardInterrupt) else "FAILED")
        return False

    def _end_with_process(self, status: str, reason: str) -> None:
        self.finish(status)

    def _flush_for_signal(self) -> None:
        self.flush(self._flush_timeout)

    def _after_fork(self) -> None:
        self._closed = True
        self._warned_closed = True
        self.mode = "disabled"

    def _ensure_spool(self) -> Optional[RunSpool]:
        """The run's local folder, made on first need (an outage, an unfinished end)."""
        with self._spool_lock:
            if self._spool is None:
                spool = RunSpool.create(self._base_dir, self._spool_record)
                spool.try_lock()
                self._spool = spool
            return self._spool

    # -- reading back ------------------------------------------------------------------------------
    def stats(self) -> Dict[str, int]:
        """Counts: logged, delivered, dropped (buffer full), rejected, nonfinite, buffered, pending on disk, retries."""
        counts = self._sender.stats() if self._sender else {}
        counts["nonfinite"] = self._nonfinite
        return counts

    def history(self, name: str, max_points: int = 1000, *, pandas: bool = False) -> Any:
        """The metric's series as read back from the platform (see ``RunRecord.history``)."""
        if self._client is None or self.id is None:
            raise LabError("an offline run has no history on the platform until it is synced", "NOT_FOUND")
        rows = _read.history(self._client, self.id, name, max_points)
        return _read.to_dataframe(rows) if pandas else rows


def init(
    project: Optional[str] = None,
    experiment: Optional[str] = None,
    name: Optional[str] = None,
    config: Optional[Mapping[str, Any]] = None,
    tags: Optional[Mapping[str, Any]] = None,
    *,
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    mode: Optional[str] = None,
    dir: Optional[str] = None,
    inputs: Optional[Sequence[str]] = None,
    git: bool = True,
    system_metrics: bool = True,
    system_interval: float = 10.0,
    flush_interval: float = 1.0,
    batch_size: int = 5_000,
    max_buffered_points: int = 100_000,
    flush_timeout: float = 30.0,
) -> Run:
    """Starts a run and returns it.

    ``project`` (name or id; default ``LAB_PROJECT``) and ``experiment`` (default
    ``"default"``) are found by name and created when missing. ``name`` defaults to the
    script's name and the UTC time. ``config`` may be nested; ``tags`` are strings.
    ``inputs`` are dataset version ids the run reads. ``git`` records the source (commit,
    branch, dirty flag, entry point, host). ``mode``: ``online`` (default), ``offline``
    (everything kept in ``dir`` for ``python -m labdata sync``) or ``disabled`` (a run
    that does nothing). ``system_metrics`` logs CPU, memory, disk, network and GPU under
    ``system/`` every ``system_interval`` seconds. Points leave every ``flush_interval``
    seconds or per ``batch_size``; at most ``max_buffered_points`` wait in memory; the
    end of the run and of the process waits at most ``flush_timeout`` seconds for delivery.

    Raises ValueError for bad arguments and LabError when the platform refuses or cannot
    be reached (online mode).
    """
    settings = _settings.resolve(url=url, api_key=api_key, project=project, mode=mode, dir=dir)
    project_name = settings.project
    experiment_name = experiment or "default"
    run_name = name or _default_run_name()
    config = dict(config or {})
    tags = dict(tags or {})
    common = dict(
        name=run_name,
        project=project_name,
        experiment=experiment_name,
        config=config,
        tags=tags,
        base_dir=settings.dir,
        flush_timeout=flush_timeout,
    )
    if settings.mode == "disabled":
        return Run(mode="disabled", **common)
    if not project_name:
        raise ValueError("labdata.init: project is required (or set LAB_PROJECT)")
    source = _source.detect() if git else {}
    start_time = iso_utc()
    if settings.mode == "offline":
        record = {
            "version": 1,
            "mode": "offline",
            "name": run_name,
            "project": project_name,
            "experiment": experiment_name,
            "config": _registry.json_safe(config),
            "tags": _registry.json_safe(tags),
            "source": source,
            "inputs": list(inputs or []),
            "startTime": start_time,
            "runId": None,
            "keys": {"project": new_key("project"), "experiment": new_key("experiment"), "start": new_key("start")},
        }
        spool = RunSpool.create(settings.dir, record)
        spool.try_lock()
        run = Run(mode="offline", source=source, spool=spool, **common)
        return _start(run, None, None, None, spool, batch_size, max_buffered_points, flush_interval, system_metrics, system_interval)

    settings.require_online()
    assert settings.url is not None and settings.api_key is not None
    client = GraphQLClient(settings.url, settings.api_key)
    features = _features.detect(client)
    project_node = _registry.ensure_project(client, project_name, new_key("project"))
    experiment_node = _registry.ensure_experiment(client, project_node["id"], experiment_name, new_key("experiment"))
    run_input, config_cut = _registry.start_run_input(
        experiment_node["id"],
        run_name,
        config=config,
        tags=tags,
        source=source,
        start_time=start_time,
        inputs=list(inputs) if inputs else None,
        features=features,
    )
    started = _registry.start_run(client, run_input, new_key("start"))
    record = {
        "version": 1,
        "mode": "online",
        "url": settings.url,
        "name": started["name"],
        "project": project_node["name"],
        "experiment": experiment_node["name"],
        "projectId": project_node["id"],
        "experimentId": experiment_node["id"],
        "runId": started["id"],
        "startTime": start_time,
    }
    run = Run(
        mode="online",
        id=started["id"],
        project_id=project_node["id"],
        experiment_id=experiment_node["id"],
        client=client,
        source=source,
        spool_record=record,
        **dict(common, project=project_node["name"]),
    )
    if config_cut:
        _save_config_file(run, config)
    return _start(run, settings.url, settings.api_key, started["id"], None, batch_size, max_buffered_points, flush_interval, system_metrics, system_interval)


def _start(
    run: Run,
    url: Optional[str],
    api_key: Optional[str],
    run_id: Optional[str],
    spool: Optional[RunSpool],
    batch_size: int,
    max_buffered_points: int,
    flush_interval: float,
    system_metrics: bool,
    system_interval: float,
) -> Run:
    run._sender = Sender(  # noqa: SLF001
        url=url,
        api_key=api_key,
        run_id=run_id,
        spool=(lambda: spool) if spool is not None else run._ensure_spool,  # noqa: SLF001
        batch_size=batch_size,
        max_buffered_points=max_buffered_points,
        flush_interval=flush_interval,
    )
    run._sender.start()  # noqa: SLF001
    _exit.register(run)
    if system_metrics and sys.platform.startswith("linux"):
        run._system = SystemMonitor(run._log_system, system_interval)  # noqa: SLF001
        run._system.start()  # noqa: SLF001
    return run


def _save_config_file(run: Run, config: Mapping[str, Any]) -> None:
    """The whole config as the run's ``config.json`` when it did not fit into params."""
    import json

    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(_registry.json_safe(dict(config)), f, indent=2, sort_keys=True)
        run.log_artifact(path, "config.json", content_type="application/json", overwrite=True)
    except LabError as error:
        log.warning("labdata: the whole config could not be saved as config.json (%s)", error)
    finally:
        os.remove(path)


class RunRecord:
    """A run as the platform has it (``Api.runs``, ``Api.run``).

    Attributes: ``id``, ``name``, ``status``, ``params``, ``tags``, ``config`` (the nested
    config: the platform's when it keeps one, else rebuilt from dotted params), ``source``,
    ``start_time``, ``end_time``, ``duration`` (seconds), ``project``, ``experiment`` and
    their ids, ``summary`` (per metric: last, min, max, count, lastStep).
    """

    def __init__(self, node: Mapping[str, Any], client: GraphQLClient) -> None:
        self._client = client
        self._load(node)

    def _load(self, node: Mapping[str, Any]) -> None:
        self.id: str = node["id"]
        self.name: str = node["name"]
        self.status: str = node["status"]
        self.params: Dict[str, Any] = dict(node.get("params") or {})
        tags = dict(node.get("tags") or {})
        prefix = _registry.SOURCE_TAG_PREFIX
        self.source: Dict[str, Any] = dict(node.get("source") or {k[len(prefix) :]: v for k, v in tags.items() if k.startswith(prefix)})
        self.tags: Dict[str, Any] = {k: v for k, v in tags.items() if not k.startswith(prefix)}
        self.config: Dict[str, Any] = dict(node.get("config") or _read.unflatten(self.params))
        self.notes: str = node.get("notes") or ""
        self.start_time: Optional[str] = node.get("startTime")
        self.end_time: Optional[str] = node.get("endTime")
        self.duration: Optional[float] = node.get("duration")
        experiment = node.get("experiment") or {}
        self.experiment: Optional[str] = experiment.get("name")
        self.experiment_id: Optional[str] = experiment.get("id")
        self.project: Optional[str] = (experiment.get("project") or {}).get("name")
        self.project_id: Optional[str] = (experiment.get("project") or {}).get("id")
        self.summary: Dict[str, Dict[str, Any]] = {
            m["name"]: {k: m.get(k) for k in ("last", "min", "max", "count", "lastStep")} for m in node.get("metrics") or []
        }

    def __repr__(self) -> str:
        return f"RunRecord(id={self.id!r}, name={self.name!r}, status={self.status!r})"

    def update(
        self,
        *,
        name: Optional[str] = None,
        notes: Optional[str] = None,
        tags: Optional[Mapping[str, Any]] = None,
        remove_tags: Optional[List[str]] = None,
        params: Optional[Mapping[str, Any]] = None,
    ) -> "RunRecord":
        """Renames the run, replaces its notes, adds or removes tags, adds params (see ``Run.update``)."""
        changes = _registry.update_input(name, notes, tags, remove_tags, params)
        _registry.update_run(self._client, _features.detect(self._client), self.id, changes, new_key("update"))
        return self.refresh()

    def refresh(self) -> "RunRecord":
        """Reads the run again."""
        self._load(_read.get_run(self._client, _features.detect(self._client), self.id))
        return self

    def history(self, name: str, max_points: int = 1000, *, pandas: bool = False) -> Any:
        """One metric's series: a list of ``{step, timestamp, value, min, max, count}`` in step order.

        Whole when it has at most ``max_points`` points (1 to 10,000); else downsampled by the
        platform into buckets (``value`` the bucket's last, ``min``/``max`` its extremes).
        ``pandas=True`` answers a DataFrame (LabError when pandas is not installed).
        """
        rows = _read.history(self._client, self.id, name, max_points)
        return _read.to_dataframe(rows) if pandas else rows

    def outputs(self) -> List[Artifact]:
        """The run's files, by name."""
        return [Artifact._from(node, self._client) for node in _read.outputs(self._client, self.id)]

    def download(self, name: str, path: str = ".") -> str:
        """Downloads the output called ``name`` to ``path``; returns where it was saved."""
        for artifact in self.outputs():
            if artifact.name == name:
                return artifact.download(path)
        raise LabError(f"run {self.id} has no output named {name!r}", "NOT_FOUND")


class Api:
    """Reads what the platform holds: ``Api().runs("pretraining", filter="params.lr > 0.001", order="-metrics.loss")``."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: float = 30.0) -> None:
        settings = _settings.resolve(url=url, api_key=api_key).require_online()
        assert settings.url is not None and settings.api_key is not None
        self._client = GraphQLClient(settings.url, settings.api_key, timeout=timeout)
        self.url = settings.url

    def __repr__(self) -> str:
        return f"Api({self.url!r})"

    def runs(
        self,
        project: Optional[str] = None,
        filter: Union[str, Mapping[str, Any], None] = None,
        order: Optional[str] = None,
        *,
        experiment: Optional[str] = None,
        status: Union[str, Sequence[str], None] = None,
        limit: Optional[int] = None,
    ) -> List[RunRecord]:
        """Runs of a project (name or id; default: every project the key can read).

        ``filter`` is the platform's run filter language (``"params.lr > 0.01 AND tags.team = 'nlp'"``)
        or a mapping of RunFilter fields (``{"tags": {"team": "nlp"}}``). ``order``:
        ``[-]start_time``, ``[-]created_at``, ``[-]name`` or ``[-]metrics.<name>`` (the last value;
        ``min(metrics.<name>)``/``max(...)`` for the extremes); "-" is descending; runs without the
        metric come last. ``limit`` caps how many are returned (default all, read 100 a page).
        """
        run_filter: Dict[str, Any] = {}
        search = None
        if isinstance(filter, str):
            search = filter
        elif filter is not None:
            run_filter.update(filter)
        if project is not None:
            run_filter["projectId"] = _registry.find_project(self._client, project)["id"]
        if experiment is not None:
            if "projectId" not in run_filter:
                raise ValueError("experiment needs a project")
            found = _registry._find(  # noqa: SLF001
                self._client, _registry.EXPERIMENTS, {"p": run_filter["projectId"], "n": experiment}, "experiments", experiment
            )
            if not found:
                return []
            run_filter["experimentId"] = found["id"]
        if status is not None:
            run_filter["status"] = [status] if isinstance(status, str) else list(status)
        features = _features.detect(self._client)
        nodes = _read.list_runs(self._client, features, run_filter=run_filter, search=search, order=order, limit=limit)
        return [RunRecord(node, self._client) for node in nodes]

    def run(self, run_id: str) -> RunRecord:
        """One run by id (LabError NOT_FOUND when unknown or not visible)."""
        return RunRecord(_read.get_run(self._client, _features.detect(self._client), run_id), self._client)

    def artifact(self, artifact_id: str) -> Artifact:
        """One file by its id (as ``log_artifact`` or ``outputs()`` answered it)."""
        node = self._client.execute(f"query LabdataArtifact($id: ID!) {{ artifact(id: $id) {{ {_artifacts.ARTIFACT_FIELDS} }} }}", {"id": artifact_id})
        return Artifact._from(node["artifact"], self._client)


def sync(dir: Optional[str] = None, *, url: Optional[str] = None, api_key: Optional[str] = None) -> _sync.SyncReport:
    """Uploads offline runs and undelivered data kept under ``dir`` (default ``LAB_DIR`` or ./labruns), exactly once."""
    settings = _settings.resolve(url=url, api_key=api_key, dir=dir).require_online()
    assert settings.url is not None and settings.api_key is not None
    return _sync.sync_dir(settings.dir, settings.url, settings.api_key, say=lambda text: log.info("%s", text))

