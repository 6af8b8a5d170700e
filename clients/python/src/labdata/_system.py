"""System metrics of the machine a run trains on, logged under ``system/``.

Every ``interval`` seconds (default 10) a daemon thread reads Linux's ``/proc`` (and
``nvidia-smi`` when it is on PATH) and logs, with the seconds since the run started as
the step:

``system/cpu.percent``, ``system/memory.percent``, ``system/memory.used_gb``,
``system/proc.rss_mb`` (this process), ``system/disk.percent`` (the working folder's
file system), ``system/disk.read_mb_s``, ``system/disk.write_mb_s``,
``system/net.recv_mb_s``, ``system/net.sent_mb_s``, and per GPU ``i``:
``system/gpu.<i>.util``, ``system/gpu.<i>.memory_percent``, ``system/gpu.<i>.temp_c``,
``system/gpu.<i>.power_w``.

What a machine lacks is left out; nothing here raises.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from typing import Callable, Dict, Mapping, Optional, Tuple

MB = 1024 * 1024
GPU_QUERY = "utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw"


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def cpu_times() -> Optional[Tuple[float, float]]:
    """(busy, total) jiffies of all CPUs."""
    text = _read("/proc/stat")
    if not text:
        return None
    fields = [float(x) for x in text.split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    total = sum(fields[:8])
    return total - idle, total


def memory() -> Dict[str, float]:
    text = _read("/proc/meminfo")
    if not text:
        return {}
    values = {}
    for row in text.splitlines():
        parts = row.split()
        if len(parts) >= 2:
            values[parts[0].rstrip(":")] = float(parts[1]) * 1024
    total, available = values.get("MemTotal"), values.get("MemAvailable")
    if not total or available is None:
        return {}
    return {"memory.percent": 100.0 * (total - available) / total, "memory.used_gb": (total - available) / 1024**3}


def process_rss_mb() -> Optional[float]:
    text = _read("/proc/self/status")
    for row in (text or "").splitlines():
        if row.startswith("VmRSS:"):
            return float(row.split()[1]) / 1024
    return None


def disk_bytes() -> Optional[Tuple[float, float]]:
    """(read, written) bytes of whole disks since boot (partitions and virtual devices left out)."""
    text = _read("/proc/diskstats")
    if not text:
        return None
    read = written = 0.0
    for row in text.splitlines():
        parts = row.split()
        if len(parts) < 10:
            continue
        name = parts[2]
        if name.startswith(("loop", "ram", "dm-", "zram")) or not os.path.exists(f"/sys/block/{name}"):
            continue
        read += float(parts[5]) * 512
        written += float(parts[9]) * 512
    return read, written


def net_bytes() -> Optional[Tuple[float, float]]:
    """(received, sent) bytes of every interface but loopback."""
    text = _read("/proc/net/dev")
    if not text:
        return None
    received = sent = 0.0
    for row in text.splitlines()[2:]:
        name, _, data = row.partition(":")
        fields = data.split()
        if name.strip() == "lo" or len(fields) < 9:
            continue
        received += float(fields[0])
        sent += float(fields[8])
    return received, sent


def gpus(nvidia_smi: Optional[str]) -> Dict[str, float]:
    if not nvidia_smi:
        return {}
    try:
        done = subprocess.run(
            [nvidia_smi, f"--query-gpu={GPU_QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=5,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    out: Dict[str, float] = {}
    for index, row in enumerate(done.stdout.strip().splitlines() if done.returncode == 0 else []):
        cells = [c.strip() for c in row.split(",")]
        numbers = []
        for cell in cells:
            try:
                numbers.append(float(cell))
            except ValueError:
                numbers.append(None)
        util, used, total, temp, power = (numbers + [None] * 5)[:5]
        for name, value in (("util", util), ("temp_c", temp), ("power_w", power)):
            if value is not None:
                out[f"gpu.{index}.{name}"] = value
        if used is not None and total:
            out[f"gpu.{index}.memory_percent"] = 100.0 * used / total
    return out


class SystemMonitor:
    """Samples every ``interval`` seconds and hands ``{name: value}`` and a step to ``log``."""

    def __init__(self, log: Callable[[Mapping[str, float], int], None], interval: float = 10.0) -> None:
        self._log = log
        self.interval = max(0.1, interval)
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._nvidia_smi = shutil.which("nvidia-smi")
        self._thread = threading.Thread(target=self._loop, name="labdata-system", daemon=True)
        self._previous: Dict[str, Tuple[float, ...]] = {}

    def start(self) -> None:
        self._sample(first=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(2.0)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                values = self._sample()
                if values:
                    self._log({f"system/{k}": v for k, v in values.items()}, int(time.monotonic() - self._start))
            except Exception:  # noqa: BLE001 - a sampling bug never reaches the run
                pass

    def _rate(self, key: str, now: float, sample: Optional[Tuple[float, ...]]) -> Optional[Tuple[float, ...]]:
        """Per-second differences since the previous sample of ``key``."""
        if sample is None:
            return None
        previous = self._previous.get(key)
        self._previous[key] = (now, *sample)
        if previous is None or now <= previous[0]:
            return None
        return tuple((b - a) / (now - previous[0]) for a, b in zip(previous[1:], sample))

    def _sample(self, first: bool = False) -> Dict[str, float]:
        now = time.monotonic()
        values: Dict[str, float] = {}
        cpu = cpu_times()
        if cpu is not None:
            previous = self._previous.get("cpu")
            self._previous["cpu"] = cpu
            if previous is not None and cpu[1] > previous[1]:
                values["cpu.percent"] = 100.0 * (cpu[0] - previous[0]) / (cpu[1] - previous[1])
        disk = self._rate("disk", now, disk_bytes())
        net = self._rate("net", now, net_bytes())
        if first:
            return {}
        values.update(memory())
        rss = process_rss_mb()
        if rss is not None:
            values["proc.rss_mb"] = rss
        try:
            usage = shutil.disk_usage(os.getcwd())
            values["disk.percent"] = 100.0 * usage.used / usage.total
        except OSError:
            pass
        if disk is not None:
            values["disk.read_mb_s"], values["disk.write_mb_s"] = disk[0] / MB, disk[1] / MB
        if net is not None:
            values["net.recv_mb_s"], values["net.sent_mb_s"] = net[0] / MB, net[1] / MB
        values.update(gpus(self._nvidia_smi))
        return values
