"""The local folder of a run: what has not reached the platform yet, kept for ``sync``.

Layout of ``<dir>/<run folder>/``::

    run.json                      the run: how to create it, its id once created, how it ended
    batches/<seq>-<key>.ndjson.gz metric batches exactly as POSTed (the key is their Idempotency-Key)
    rejected/                     batches the platform refused for good (400, 401, 403, ...), with why
    artifacts/<seq>/              files logged offline: the file and its record (artifact.json)
    .lock                         held (flock) by the live process writing the folder

Offline runs live here from the start; an online run gets a folder only when something
could not be delivered (an outage, an exit before the platform answered). Every write
is a new file renamed into place, so a crash leaves either the old or the new state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

RECORD = "run.json"
BATCH_RE = re.compile(r"^(\d{10})-([A-Za-z0-9_.-]{1,128})\.ndjson\.gz$")


def _write_atomic(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class RunSpool:
    """One run's folder. Not thread-safe: one thread writes it (the run's sender, or ``sync``)."""

    def __init__(self, path: str, record: Dict[str, Any]) -> None:
        self.path = path
        self.record = record
        self._lock_fd: Optional[int] = None
        self._seq = self._last_seq()

    # -- creation and the record ---------------------------------------------------------------
    @classmethod
    def create(cls, base_dir: str, record: Dict[str, Any]) -> "RunSpool":
        """A new folder ``run-<UTC time>-<8 hex>`` under base_dir with this record."""
        os.makedirs(base_dir, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        path = os.path.join(base_dir, f"run-{stamp}-{uuid.uuid4().hex[:8]}")
        os.makedirs(os.path.join(path, "batches"))
        spool = cls(path, dict(record, folder=os.path.basename(path)))
        spool.save()
        return spool

    @classmethod
    def open(cls, path: str) -> "RunSpool":
        with open(os.path.join(path, RECORD), encoding="utf-8") as f:
            return cls(path, json.load(f))

    def save(self) -> None:
        _write_atomic(os.path.join(self.path, RECORD), (json.dumps(self.record, indent=2, sort_keys=True) + "\n").encode())

    def update(self, **fields: Any) -> None:
        self.record.update(fields)
        self.save()

    # -- the writer's lock ---------------------------------------------------------------------
    def try_lock(self) -> bool:
        """Takes the folder's lock (False when another live process holds it)."""
        if fcntl is None or self._lock_fd is not None:
            return True
        fd = os.open(os.path.join(self.path, ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    # -- metric batches ------------------------------------------------------------------------
    def _last_seq(self) -> int:
        last = 0
        for folder in ("batches", "rejected"):
            for name in _listdir(os.path.join(self.path, folder)):
                match = BATCH_RE.match(name)
                if match:
                    last = max(last, int(match.group(1)))
        return last

    def write_batch(self, key: str, body: bytes) -> str:
        """Stores one gzip NDJSON body under its idempotency key, after every earlier one."""
        self._seq += 1
        folder = os.path.join(self.path, "batches")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self._seq:010d}-{key}.ndjson.gz")
        _write_atomic(path, body)
        return path

    def batches(self) -> List[Tuple[str, str]]:
        """(path, idempotency key) of every batch not delivered yet, oldest first."""
        folder = os.path.join(self.path, "batches")
        out = []
        for name in sorted(_listdir(folder)):
            match = BATCH_RE.match(name)
            if match:
                out.append((os.path.join(folder, name), match.group(2)))
        return out

    def remove_batch(self, path: str) -> None:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass

    def reject_batch(self, path: str, reason: str) -> None:
        """Moves a refused batch aside with the platform's reason; sync does not send it again."""
        folder = os.path.join(self.path, "rejected")
        os.makedirs(folder, exist_ok=True)
        target = os.path.join(folder, os.path.basename(path))
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return
        _write_atomic(target + ".reason.txt", (reason + "\n").encode())

    def rejected_count(self) -> int:
        return sum(1 for n in _listdir(os.path.join(self.path, "rejected")) if BATCH_RE.match(n))

    # -- artifacts logged offline --------------------------------------------------------------
    def add_artifact(self, source: str, record: Dict[str, Any]) -> str:
        """Keeps a file for a later upload: a hard link when possible (no copy of a large checkpoint), else a copy."""
        folder = os.path.join(self.path, "artifacts")
        os.makedirs(folder, exist_ok=True)
        seq = 1 + max([int(n) for n in _listdir(folder) if n.isdigit()] or [0])
        item = os.path.join(folder, f"{seq:06d}")
        os.makedirs(item)
        target = os.path.join(item, "file")
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        _write_atomic(os.path.join(item, "artifact.json"), json.dumps(record, sort_keys=True).encode())
        return item

    def artifacts(self) -> Iterator[Tuple[str, Dict[str, Any]]]:
        """(folder, record) of every artifact not uploaded yet, in the order logged."""
        folder = os.path.join(self.path, "artifacts")
        for name in sorted(_listdir(folder)):
            meta = os.path.join(folder, name, "artifact.json")
            if os.path.exists(meta):
                with open(meta, encoding="utf-8") as f:
                    yield os.path.join(folder, name), json.load(f)

    def remove_artifact(self, item: str) -> None:
        shutil.rmtree(item, ignore_errors=True)

    # -- state ---------------------------------------------------------------------------------
    def pending(self) -> Dict[str, Any]:
        """What is left to do: batches, artifacts, creating the run, finishing it."""
        return {
            "batches": len(self.batches()),
            "artifacts": sum(1 for _ in self.artifacts()),
            "start": self.record.get("runId") is None,
            "finish": bool(self.record.get("finish")) and not self.record.get("finished"),
        }


def _listdir(path: str) -> List[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def run_folders(base_dir: str) -> List[str]:
    """Every run folder under base_dir, oldest first."""
    return sorted(
        os.path.join(base_dir, n) for n in _listdir(base_dir) if os.path.exists(os.path.join(base_dir, n, RECORD))
    )
