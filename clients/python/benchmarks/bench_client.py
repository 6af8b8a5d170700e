"""Measurements of the Python client for ``npm run bench -- --only python-client``.

    python bench_client.py latency    URL PROJECT   log() cost while shipping, and the same loop's floor
    python bench_client.py throughput URL PROJECT   points/s of one process, and a raw POST of the same NDJSON
    python bench_client.py down       URL PROJECT   log() cost, then peak RSS, while the gateway is stopped

The key comes from LAB_API_KEY. Each prints one JSON object. The floor is the least any
buffering client does per call: the same dict turned into tuples appended to a list.
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import sys
import tempfile
import time
import urllib.request
from typing import Any, Dict, List, Tuple

import labdata

NAMES = ("train/loss", "train/acc", "lr", "grad_norm")
CALLS_PER_MS = 2  # 2,000 log() calls (8,000 points) a second: a busy training loop


def percentiles(ns: List[int]) -> Dict[str, float]:
    ns.sort()
    pick = lambda q: ns[min(len(ns) - 1, int(q * len(ns)))] / 1000  # noqa: E731 - µs
    return {"p50_us": pick(0.5), "p99_us": pick(0.99), "max_us": ns[-1] / 1000, "calls": len(ns)}


def paced(log: Any, seconds: float) -> List[int]:
    """Calls ``log(metrics, step)`` CALLS_PER_MS times a millisecond for ``seconds``; each call's duration in ns."""
    durations: List[int] = []
    clock = time.perf_counter_ns
    step = 0
    end = time.monotonic() + seconds
    next_tick = time.monotonic()
    while time.monotonic() < end:
        for _ in range(CALLS_PER_MS):
            metrics = {"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 3e-4, "grad_norm": 0.5}
            began = clock()
            log(metrics, step)
            durations.append(clock() - began)
            step += 1
        next_tick += 0.001
        pause = next_tick - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return durations


def floor_logger() -> Any:
    kept: List[Any] = []

    def log(metrics: Dict[str, float], step: int) -> None:
        ts = int(time.time() * 1000)
        for name, value in metrics.items():
            kept.append((name, value, step, ts))

    return log


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for row in f:
            if row.startswith(field + ":"):
                return int(row.split()[1]) / 1024
    return float("nan")


def latency(url: str, project: str, seconds: float = 5.0) -> Dict[str, Any]:
    floor = percentiles(paced(floor_logger(), seconds))
    run = labdata.init(project=project, experiment="latency", url=url, system_metrics=False)
    shipping = percentiles(paced(lambda m, s: run.log(m, step=s), seconds))
    run.finish()
    return {"shipping": shipping, "floor": floor, "stats": run.stats()}


def raw_post(url: str, project: str, calls: int, name: str) -> Tuple[int, float]:
    """The baseline: the same lines, gzip NDJSON built beforehand, in one POST timed alone."""
    run = labdata.init(project=project, experiment="throughput", name=name, url=url, system_metrics=False, git=False)
    now = int(time.time() * 1000)
    lines = "".join(
        f'{{"runId":"{run.id}","name":"{metric}","value":{1.0 / (s + 1)!r},"step":{s},"timestamp":{now}}}\n'
        for s in range(calls)
        for metric in NAMES
    )
    body = gzip.compress(lines.encode(), compresslevel=1)
    del lines
    request = urllib.request.Request(
        f"{url}/v1/metrics",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {os.environ['LAB_API_KEY']}",
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
        },
    )
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as answer:
        accepted = json.loads(answer.read())["accepted"]
    seconds = time.perf_counter() - began
    run.finish()
    return accepted, seconds


def client_run(url: str, project: str, calls: int, name: str) -> Tuple[int, float, Dict[str, int]]:
    """One process logging as fast as it can, timed from the first log() until finish() has everything acknowledged."""
    run = labdata.init(
        project=project, experiment="throughput", name=name, url=url, system_metrics=False, git=False,
        max_buffered_points=calls * len(NAMES),
    )
    began = time.perf_counter()
    for step in range(calls):
        run.log({"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 3e-4, "grad_norm": 0.5}, step=step)
    run.finish(timeout=600)
    seconds = time.perf_counter() - began
    return run.stats()["delivered"], seconds, run.stats()


def throughput(url: str, project: str, points: int = 1_000_000) -> Dict[str, Any]:
    """Two rounds in the order raw, client, client, raw, each after a few seconds' rest (ClickHouse merges the
    parts of the phase before), so that neither side gets the quieter machine or the fresher table."""
    calls = points // len(NAMES) // 2
    phases: List[Tuple[str, float]] = []
    stats: Dict[str, int] = {}
    for i, side in enumerate(("raw", "client", "client", "raw")):
        time.sleep(3)
        if side == "raw":
            accepted, seconds = raw_post(url, project, calls, f"raw-post-{i}")
        else:
            accepted, seconds, stats = client_run(url, project, calls, f"client-{i}")
        phases.append((side, accepted / seconds))
    rate = lambda side: sum(r for s, r in phases if s == side) / 2  # noqa: E731
    return {
        "points": calls * len(NAMES) * 2,
        "client_points_per_s": rate("client"),
        "raw_points_per_s": rate("raw"),
        "phases": phases,
        "stats": stats,
    }


def down(url: str, project: str, seconds: float = 5.0, points: int = 2_000_000) -> Dict[str, Any]:
    """The platform goes down after init (the bench stops the gateway when told "ready", then sends a line):
    log() cost at a steady pace, then peak RSS under a flood of ``points`` points."""
    floor = percentiles(paced(floor_logger(), seconds))
    run = labdata.init(project=project, experiment="outage", url=url, system_metrics=False, dir=tempfile.mkdtemp(prefix="labdata-bench-"))
    print("ready", flush=True)
    sys.stdin.readline()
    gc.collect()
    outage = percentiles(paced(lambda m, s: run.log(m, step=s), seconds))
    before = rss_mb()
    peak = before
    for step in range(points // len(NAMES)):
        run.log({"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 3e-4, "grad_norm": 0.5}, step=step)
        if step % 10_000 == 0:
            peak = max(peak, rss_mb())
            time.sleep(0.001)  # a training step's worth of room for the sender
    stats = run.stats()
    run.finish(timeout=1)
    return {"down": outage, "floor": floor, "before_mb": before, "peak_mb": max(peak, rss_mb("VmHWM")), "stats": stats}


if __name__ == "__main__":
    mode, url, project = sys.argv[1:4]
    result = {"latency": latency, "throughput": throughput, "down": down}[mode](url, project)
    print(json.dumps(result))
