"""``python -m labdata sync``: uploads what run folders hold, exactly once.

For each folder under the directory (oldest first) that no live process holds:
create the project, experiment and run if the run was offline (each under the
idempotency key recorded when it was logged, its id saved as soon as it is known);
POST each metric batch under its own key, deleting its file once answered 2xx; upload
the files logged offline; finish the run as it ended. A crash anywhere leaves the folder
in a state the next ``sync`` completes, and the platform's idempotency keys make a step
done twice count once. A folder with nothing left is marked synced and skipped after.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

from . import _artifacts, _features, _http, _registry, _transport
from ._errors import LabError
from ._graphql import GraphQLClient, new_key
from ._points import OFFLINE_RUN_ID
from ._spool import RunSpool, run_folders

log = logging.getLogger("labdata")
BATCH_ATTEMPTS = 6


@dataclass
class SyncReport:
    """What one sync did, for the command's output and for tests."""

    runs_synced: int = 0
    runs_skipped: int = 0
    runs_failed: int = 0
    runs_created: int = 0
    batches: int = 0
    points: int = 0
    rejected_batches: int = 0
    artifacts: int = 0
    finished: int = 0
    messages: List[str] = field(default_factory=list)


def sync_dir(
    base_dir: str, url: str, api_key: str, *, say: Callable[[str], None] = print, dry_run: bool = False
) -> SyncReport:
    """Syncs every run folder under ``base_dir``; returns what was done."""
    client = GraphQLClient(url, api_key)
    report = SyncReport()
    folders = run_folders(base_dir)
    if not folders:
        say(f"no runs in {base_dir}")
    for folder in folders:
        spool = RunSpool.open(folder)
        label = f"{os.path.basename(folder)} ({spool.record.get('name')})"
        if spool.record.get("synced"):
            report.runs_skipped += 1
            continue
        if not spool.try_lock():
            say(f"{label}: still being written by a live process; skipped")
            report.runs_skipped += 1
            continue
        try:
            pending = spool.pending()
            if dry_run:
                say(f"{label}: would sync {pending}")
                continue
            _sync_run(client, spool, report, say, label)
        except LabError as error:
            report.runs_failed += 1
            say(f"{label}: not synced: {error}")
        finally:
            spool.unlock()
    return report


def _sync_run(client: GraphQLClient, spool: RunSpool, report: SyncReport, say: Callable[[str], None], label: str) -> None:
    record = spool.record
    if record.get("runId") is None:
        _create_run(client, spool)
        report.runs_created += 1
    run_id = record["runId"]
    delivered = rejected = 0
    for path, key in spool.batches():
        with open(path, "rb") as f:
            body = f.read()
        if record.get("mode") == "offline":
            body = _with_run_id(body, run_id)
        outcome = _post_with_retries(client, key, body)
        if outcome.kind == "ok":
            report.points += _transport.read_lines(body)
            spool.remove_batch(path)
            delivered += 1
        elif outcome.kind == "reject":
            spool.reject_batch(path, outcome.message)
            rejected += 1
        else:
            raise LabError(f"metrics not delivered: {outcome.message}", "SERVICE_UNAVAILABLE")
    report.batches += delivered
    report.rejected_batches += rejected
    uploaded = 0
    for item, meta in list(spool.artifacts()):
        _upload_artifact(client, run_id, item, meta)
        spool.remove_artifact(item)
        uploaded += 1
    report.artifacts += uploaded
    finish = record.get("finish")
    if finish and not record.get("finished"):
        _registry.finish_run(client, run_id, finish["status"], finish["endTime"], finish["key"])
        spool.update(finished=True)
        report.finished += 1
    if not spool.batches() and not any(True for _ in spool.artifacts()) and (record.get("finished") or not finish):
        spool.update(synced=True, syncedAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    report.runs_synced += 1
    note = f", {rejected} batches refused (see rejected/)" if rejected else ""
    end = f", finished {finish['status']}" if finish else ", left RUNNING (its process ended without finishing it)"
    say(f"{label}: run {run_id}: {delivered} metric batches, {uploaded} files{note}{end}")


def _with_run_id(body: bytes, run_id: str) -> bytes:
    text = gzip.decompress(body)
    text = text.replace(f'"runId":"{OFFLINE_RUN_ID}"'.encode(), f'"runId":"{run_id}"'.encode())
    return gzip.compress(text, compresslevel=1, mtime=0)


def _post_with_retries(client: GraphQLClient, key: str, body: bytes) -> _transport.Outcome:
    outcome = _transport.Outcome("retry", message="not sent")
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        outcome = _transport.post_batch(client.url, client._api_key, key, body, client.timeout)  # noqa: SLF001
        if outcome.kind != "retry":
            return outcome
        if attempt < BATCH_ATTEMPTS:
            delay = outcome.retry_after if outcome.retry_after is not None else _http.backoff_delay(attempt, 0.5, 10.0)
            time.sleep(min(delay, 30.0))
    return outcome


def _create_run(client: GraphQLClient, spool: RunSpool) -> None:
    """Creates the project, experiment and run of an offline folder, each step recorded before the next."""
    record = spool.record
    keys = record.setdefault("keys", {})
    for name in ("project", "experiment", "start"):
        keys.setdefault(name, new_key(name))
    spool.save()
    if not record.get("projectId"):
        project = _registry.ensure_project(client, record["project"], keys["project"])
        spool.update(projectId=project["id"])
    if not record.get("experimentId"):
        experiment = _registry.ensure_experiment(client, record["projectId"], record["experiment"], keys["experiment"])
        spool.update(experimentId=experiment["id"])
    features = _features.detect(client)
    if "startInput" not in record:
        run_input, _ = _registry.start_run_input(
            record["experimentId"],
            record["name"],
            config=record.get("config") or {},
            tags=record.get("tags") or {},
            source=record.get("source") or {},
            start_time=record["startTime"],
            inputs=record.get("inputs"),
            features=features,
        )
        spool.update(startInput=run_input)
    run = _registry.start_run(client, record["startInput"], keys["start"])
    spool.update(runId=run["id"])


def _upload_artifact(client: GraphQLClient, run_id: str, item: str, meta: dict) -> None:
    path = os.path.join(item, "file")
    checksum, size = _artifacts.file_digest(path)
    if checksum != meta["checksum"]:
        raise LabError(f"{meta['name']}: the file kept for upload changed since it was logged", "BAD_USER_INPUT")
    try:
        _artifacts.upload(
            client, "RUN", run_id, path, meta["name"], content_type=meta.get("contentType"), checksum=checksum
        )
    except LabError as error:
        if error.code != "CONFLICT" or not _already_there(client, run_id, meta):
            raise


def _already_there(client: GraphQLClient, run_id: str, meta: dict) -> bool:
    """A file of that name and checksum is already the run's (an earlier sync uploaded it, then stopped)."""
    from ._read import outputs

    return any(f["name"] == meta["name"] and f.get("checksum") == meta["checksum"] for f in outputs(client, run_id))


def default_dir(explicit: Optional[str]) -> str:
    from ._settings import resolve

    return resolve(dir=explicit).dir
