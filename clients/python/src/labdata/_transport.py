"""The background sender of a run's metric points (modelled on sentry-python's transport).

``Run.log`` appends ``(name, value, step, timestamp_ms)`` tuples to ``Sender.buffer``, a
bounded deque, and never waits. A daemon thread turns them into gzip NDJSON batches and
two poster threads POST each to ``<url>/v1/metrics`` with its own ``Idempotency-Key``
(two requests in flight, the next batch formatted meanwhile):

- A batch leaves when ``batch_size`` points wait, every ``flush_interval`` seconds, on
  ``flush()`` and at the end; with a backlog, batches grow up to ``max_batch_points``
  (100,000: four of the server's 25,000-line chunks, which it parses and inserts
  overlapped; a retry under the same key skips the chunks already stored).
- 2xx: delivered. 400, 401, 403, 404, 409, 413: refused for good, never retried; the
  batch is reported on the ``labdata`` logger (and kept under ``rejected/`` once on disk).
- No answer, 408, 429 or 5xx: the batch goes to the run's local folder (``_spool``) with
  its key and is retried with full-jitter backoff (``Retry-After`` honoured); batches
  made meanwhile queue behind it on disk, so memory stays bounded through any outage and
  a killed process leaves them for ``python -m labdata sync``. A retry is byte-for-byte
  the first attempt under the same key: the platform stores it once.
- The buffer holds ``max_buffered_points``. A point logged while it is full is dropped
  and counted (``stats()["dropped"]``): ``log`` never blocks.

The thread formats lines in slices and sleeps briefly between them, so it holds the GIL
for well under a millisecond at a time and the training loop is never held up long.
Nothing here ever raises into the caller: failures are logged and counted.
"""

from __future__ import annotations

import collections
import gzip
import logging
import os
import queue
import threading
import time
import zlib
from dataclasses import dataclass
from typing import Callable, Deque, Dict, List, Optional

from . import _http
from ._graphql import new_key
from ._points import OFFLINE_RUN_ID, Point
from ._spool import RunSpool

log = logging.getLogger("labdata")

#: Lines formatted between two yields of the GIL.
SLICE_LINES = 400
#: How long the thread steps off the GIL between slices, in seconds.
YIELD_SECONDS = 0.0002
#: Requests in flight at once (a third batch is formatted meanwhile).
POSTERS = 2
#: The largest batch: four chunks of the metrics service (it reads a request 25,000 lines at a time).
MAX_BATCH_POINTS = 100_000
REFUSED_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 422})


@dataclass
class Outcome:
    """What became of one POST: ``ok``, ``retry`` (later, with ``retry_after`` seconds if given) or ``reject``."""

    kind: str
    status: Optional[int] = None
    message: str = ""
    retry_after: Optional[float] = None
    duplicate: Optional[bool] = None


def post_batch(url: str, api_key: str, key: str, body: bytes, timeout: float) -> Outcome:
    """POSTs one gzip NDJSON body to ``<url>/v1/metrics`` under its Idempotency-Key; never raises."""
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/x-ndjson",
        "Content-Encoding": "gzip",
        "Idempotency-Key": key,
    }
    try:
        answer = _http.request("POST", f"{url}/v1/metrics", body=body, headers=headers, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - any failure to get an answer is retried
        return Outcome("retry", message=f"no answer: {_http.describe_network_error(error)}")
    payload = answer.json_object()
    if answer.ok:
        return Outcome("ok", answer.status, duplicate=payload.get("duplicate"))
    message = _refusal_text(answer.status, payload)
    if answer.status in _http.RETRYABLE_STATUSES:
        return Outcome("retry", answer.status, message, _http.parse_retry_after(answer.headers.get("retry-after")))
    return Outcome("reject", answer.status, message)


def _refusal_text(status: int, payload: Dict[str, object]) -> str:
    errors = payload.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"HTTP {status}: line {first.get('line')}: {first.get('reason')}{more}"
    message = payload.get("message")
    return f"HTTP {status}: {message}" if isinstance(message, str) else f"HTTP {status}"


@dataclass
class Batch:
    key: str
    body: bytes
    points: int
    path: Optional[str] = None


class Sender:
    """Buffers one run's points and ships them from a daemon thread (module docstring)."""

    def __init__(
        self,
        *,
        url: Optional[str],
        api_key: Optional[str],
        run_id: Optional[str],
        spool: Callable[[], Optional[RunSpool]],
        batch_size: int = 5_000,
        max_batch_points: int = MAX_BATCH_POINTS,
        max_buffered_points: int = 100_000,
        flush_interval: float = 1.0,
        timeout: float = 30.0,
        max_delay: float = 30.0,
    ) -> None:
        if batch_size < 1 or max_buffered_points < 1 or flush_interval <= 0:
            raise ValueError("batch_size and max_buffered_points must be positive, flush_interval above 0")
        self.offline = run_id is None
        self._url = url
        self._api_key = api_key
        self._run_id = run_id or OFFLINE_RUN_ID
        self._spool_provider = spool
        self.batch_size = min(batch_size, max_buffered_points)
        self.max_batch_points = max(1, min(max_batch_points, MAX_BATCH_POINTS))
        self.max_buffered_points = max_buffered_points
        self.flush_interval = flush_interval
        self.timeout = timeout
        self.max_delay = max_delay

        #: Appended to by Run.log (any thread), drained by the sender thread.
        self.buffer: Deque[Point] = collections.deque()
        #: Counted by Run.log: points accepted into the buffer, and points refused because it was full.
        self.logged = 0
        self.dropped = 0

        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._spool_lock = threading.Lock()
        self._settled = 0  # points delivered, refused for good, or (offline) written to disk
        self._delivered = 0
        self._rejected = 0
        self._retries = 0
        self._requests = 0
        self._held: Deque[Batch] = collections.deque()  # waiting batches when the disk cannot take them
        self._disk_points: Dict[str, int] = {}  # waiting batches on disk (path -> points), oldest first
        self._offline_points = 0  # offline: points written to disk for sync
        self._inflight: List[Batch] = []  # batches the posters are sending
        self._attempt = 0
        self._backoff_until = 0.0
        self._backoff_from_server = False
        self._urgent = False  # ship a partial batch now (flush, close)
        self._retry_now = False  # one attempt before the backoff is over (once per flush or close)
        self._stopping = False
        self._deadline = float("inf")
        self._abandoned = False
        # Batches built and waiting for a poster: up to POSTERS in flight and one ready, so the
        # platform parses one while it stores another, and the next is formatted meanwhile.
        self._outbox: "queue.Queue[Optional[Batch]]" = queue.Queue(maxsize=1)
        self._posting = 0  # batches handed to the posters and not done with yet
        self._thread = threading.Thread(target=self._loop, name="labdata-sender", daemon=True)
        self._posters = [
            threading.Thread(target=self._post_loop, name=f"labdata-poster-{i}", daemon=True) for i in range(POSTERS)
        ]

    # -- called from the caller's threads ----------------------------------------------------------
    def start(self) -> None:
        self._thread.start()
        if not self.offline:
            for poster in self._posters:
                poster.start()

    def wake(self) -> None:
        self._wake.set()

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every point logged so far is delivered (offline: on disk); False when the time ran out."""
        target = self.logged
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._retry_now = True
            self._wake.set()
            while self._settled < target and self._thread.is_alive():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(0.05 if left is None else min(0.05, left))
                if not self._urgent:  # re-arm: keep the thread shipping partial batches until we are done
                    self._urgent = True
                    self._wake.set()
            return self._settled >= target

    def close(self, timeout: float) -> bool:
        """Ships what it can within ``timeout`` seconds, stops the thread, and keeps the rest on disk.

        Returns True when everything logged was delivered (offline: written to disk).
        """
        self._deadline = time.monotonic() + max(0.0, timeout)
        self._retry_now = True
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, timeout) + 0.5)
        with self._spool_lock:
            self._abandoned = True
            self._persist_leftovers()
        return self._settled >= self.logged

    def stats(self) -> Dict[str, int]:
        """Counters: logged, delivered, dropped, rejected, waiting on disk, buffered, retries, requests."""
        return {
            "logged": self.logged,
            "delivered": self._delivered,
            "dropped": self.dropped,
            "rejected": self._rejected,
            "buffered": len(self.buffer),
            "pending_batches": len(self._held) + len(self._disk_points),
            "pending_points": sum(b.points for b in self._held) + sum(self._disk_points.values()) + self._offline_points,
            "retries": self._retries,
            "requests": self._requests,
        }

    # -- the thread ------------------------------------------------------------------------------
    def _loop(self) -> None:
        last_ship = time.monotonic()
        while True:
            now = time.monotonic()
            wait = self.flush_interval - (now - last_ship)
            if self._pending():
                wait = min(wait, self._backoff_until - now)
            if not self._urgent and not self._stopping:
                self._wake.wait(max(0.001, wait))
            self._wake.clear()
            urgent = self._urgent or self._stopping
            retry_now = self._retry_now
            self._urgent = self._retry_now = False
            try:
                self._drain_pending(retry_now)
                now = time.monotonic()
                if urgent or len(self.buffer) >= self.batch_size or now - last_ship >= self.flush_interval:
                    self._ship_buffer()
                    last_ship = time.monotonic()
            except Exception:  # noqa: BLE001 - the thread must outlive any bug
                log.exception("labdata: the metrics sender hit an unexpected error; it keeps going")
                time.sleep(0.1)
            with self._cond:
                self._cond.notify_all()
            if self._stopping:
                done = not self.buffer and not self._pending() and self._posting == 0
                if done or time.monotonic() >= self._deadline or self._abandoned:
                    if done:
                        for _ in self._posters:  # the posters are idle: let them end
                            try:
                                self._outbox.put(None, timeout=0.5)
                            except queue.Full:
                                break
                    return
                if self._backoff_until >= self._deadline:
                    return  # the next retry would come too late: leave the rest on disk
                # Requests in flight or a backoff running: wait for a poster to finish (it wakes us) or the retry.
                delay = self._backoff_until - time.monotonic() if self._pending() else 0.05
                self._wake.wait(min(0.05, max(0.001, delay)))

    def _pending(self) -> bool:
        return bool(self._held) or bool(self._disk_points)

    def _settle(self, points: int, delivered: bool) -> None:
        with self._cond:
            self._settled += points
            if delivered:
                self._delivered += points
            self._cond.notify_all()

    def _ship_buffer(self) -> None:
        """Turns the buffer into batches: sent, or queued behind waiting ones."""
        while self.buffer and not self._abandoned:
            batch = self._build(min(len(self.buffer), self.max_batch_points))
            if self.offline:
                if self._queue(batch):
                    self._settle(batch.points, delivered=False)
                continue
            if self._pending():
                self._queue(batch)
                continue
            with self._spool_lock:
                self._posting += 1
            while True:
                try:
                    self._outbox.put(batch, timeout=0.05)
                    break
                except queue.Full:
                    if self._abandoned or (self._stopping and time.monotonic() >= self._deadline):
                        with self._spool_lock:
                            self._posting -= 1
                            if batch.path is None:
                                self._queue_locked(batch)
                        return

    def _post_loop(self) -> None:
        """A poster thread: sends the batches the sender thread built, oldest first."""
        while True:
            batch = self._outbox.get()
            if batch is None:
                return
            try:
                if self._pending():  # a batch before it waits for a retry: stay behind it
                    self._queue(batch)
                else:
                    self._send(batch, queued=False)
            except Exception:  # noqa: BLE001 - the thread must outlive any bug
                log.exception("labdata: the metrics poster hit an unexpected error; it keeps going")
            finally:
                with self._spool_lock:
                    self._posting -= 1
                self._wake.set()

    def _drain_pending(self, retry_now: bool) -> None:
        """Retries waiting batches, oldest first, once their backoff is over (once at once on flush or close,
        unless the server asked for a Retry-After)."""
        if self.offline:
            return
        while self._pending() and not self._abandoned:
            if time.monotonic() < self._backoff_until and not (retry_now and not self._backoff_from_server):
                return
            retry_now = False
            batch = self._oldest_pending()
            if batch is None:
                return
            if not self._send(batch, queued=True):
                return

    def _build(self, count: int) -> Batch:
        """Pops ``count`` points into one gzip NDJSON body, a slice at a time."""
        run_id = self._run_id
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip framing, mtime 0
        parts = []
        popleft = self.buffer.popleft
        left = count
        while left > 0:
            n = min(SLICE_LINES, left)
            chunk = []
            for _ in range(n):
                name, value, step, ts = popleft()
                chunk.append(f'{{"runId":"{run_id}","name":"{name}","value":{value!r},"step":{step},"timestamp":{ts}}}\n')
            parts.append(compressor.compress("".join(chunk).encode()))
            left -= n
            if left > 0:
                time.sleep(YIELD_SECONDS)
        parts.append(compressor.flush())
        return Batch(new_key("m"), b"".join(parts), count)

    def _send(self, batch: Batch, queued: bool) -> bool:
        """One attempt; True when the batch is done with (delivered or refused)."""
        assert self._url is not None and self._api_key is not None
        with self._spool_lock:
            if self._abandoned:
                if not queued and batch.path is None:
                    self._queue_locked(batch)  # kept for sync
                return True
            self._inflight.append(batch)
            self._requests += 1
        outcome = post_batch(self._url, self._api_key, batch.key, batch.body, self.timeout)
        with self._spool_lock:
            self._inflight.remove(batch)
            if self._abandoned:
                if outcome.kind != "ok" and not queued and batch.path is None:
                    self._queue_locked(batch)  # kept for sync
                return True
            if outcome.kind == "retry":
                self._retries += 1
                self._attempt += 1
                self._backoff_from_server = outcome.retry_after is not None
                delay = outcome.retry_after if outcome.retry_after is not None else _http.backoff_delay(self._attempt, 0.2, self.max_delay)
                self._backoff_until = time.monotonic() + min(delay, 300.0)
                if self._attempt == 1 or self._attempt % 20 == 0:
                    log.warning("labdata: metrics not delivered (%s); retrying, kept on disk meanwhile", outcome.message)
                if not queued:
                    self._queue_locked(batch)
                return False
            self._attempt = 0
            self._backoff_until = 0.0
            if queued:
                self._unqueue(batch, rejected_reason=outcome.message if outcome.kind == "reject" else None)
        if outcome.kind == "reject":
            self._rejected += batch.points
            log.warning("labdata: a batch of %d metric points was refused: %s", batch.points, outcome.message)
        self._settle(batch.points, delivered=outcome.kind == "ok")
        return True

    # -- waiting batches: on disk when possible, else in memory -----------------------------------
    def _queue(self, batch: Batch) -> bool:
        with self._spool_lock:
            return self._queue_locked(batch)

    def _queue_locked(self, batch: Batch) -> bool:
        spool = None if self._held else self._safe_spool()  # once in memory, stay there to keep the order
        if spool is not None:
            try:
                batch.path = spool.write_batch(batch.key, batch.body)
                if self.offline:
                    self._offline_points += batch.points  # done with: sync sends it
                else:
                    self._disk_points[batch.path] = batch.points
                return True
            except OSError as error:
                log.warning("labdata: cannot write to %s (%s); keeping metrics in memory", spool.path, error)
        self._held.append(batch)
        held = sum(b.points for b in self._held)
        while len(self._held) > 1 and held > self.max_buffered_points:
            lost = self._held.popleft()
            held -= lost.points
            self.dropped += lost.points
            self._settle(lost.points, delivered=False)
            log.warning("labdata: %d metric points dropped: the platform is unreachable and memory is full", lost.points)
        return False

    def _oldest_pending(self) -> Optional[Batch]:
        with self._spool_lock:
            path = next(iter(self._disk_points), None)
            points = self._disk_points.get(path, 0) if path else 0
            held = self._held[0] if self._held else None
        if path is not None:
            try:
                with open(path, "rb") as f:
                    body = f.read()
            except OSError:
                with self._spool_lock:
                    self._disk_points.pop(path, None)
                return None
            key = os.path.basename(path).split("-", 1)[1][: -len(".ndjson.gz")]
            return Batch(key, body, points, path)
        return held

    def _unqueue(self, batch: Batch, rejected_reason: Optional[str]) -> None:
        if batch.path is not None:
            self._disk_points.pop(batch.path, None)
            spool = self._safe_spool()
            if spool is not None:
                if rejected_reason is None:
                    spool.remove_batch(batch.path)
                else:
                    spool.reject_batch(batch.path, rejected_reason)
        elif self._held and self._held[0] is batch:
            self._held.popleft()

    def _safe_spool(self) -> Optional[RunSpool]:
        try:
            return self._spool_provider()
        except Exception as error:  # noqa: BLE001
            log.warning("labdata: no local folder for undelivered metrics (%s)", error)
            return None

    def _persist_leftovers(self) -> None:
        """At close: whatever is still in memory (buffer, batch in flight, held batches) goes to disk."""
        leftovers = []
        leftovers.extend(b for b in self._inflight if b.path is None)
        while True:
            try:
                waiting = self._outbox.get_nowait()
            except queue.Empty:
                break
            if waiting is not None and waiting.path is None:
                leftovers.append(waiting)
        leftovers.extend(self._held)
        self._held.clear()
        while self.buffer:
            leftovers.append(self._build(min(len(self.buffer), self.max_batch_points)))
        if not leftovers:
            return
        spool = self._safe_spool()
        lost = 0
        for batch in leftovers:
            try:
                if spool is None:
                    raise OSError("no folder")
                batch.path = spool.write_batch(batch.key, batch.body)
                if self.offline:
                    self._offline_points += batch.points
                    self._settle(batch.points, delivered=False)
                else:
                    self._disk_points[batch.path] = batch.points
            except OSError:
                lost += batch.points
        if lost:
            self.dropped += lost
            log.warning("labdata: %d metric points could not be kept for a later sync and are lost", lost)


def read_lines(body: bytes) -> int:
    """Lines in a gzip NDJSON body (for reports)."""
    return gzip.decompress(body).count(b"\n")
