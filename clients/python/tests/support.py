"""What the tests share: the platform's address and key, a GraphQL reader of their own,
the control of the platform's services, child processes that use the client.

Tests that need the platform are skipped without ``LAB_URL``/``LAB_API_KEY``, unless
``LAB_E2E=1`` (as ``test/pythonClient.e2e.test.ts`` sets it), where that is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
import urllib.request
import uuid
from typing import Any, Callable, Dict, Optional

URL = os.environ.get("LAB_URL", "").rstrip("/")
KEY = os.environ.get("LAB_API_KEY", "")
CONTROL = os.environ.get("LAB_TEST_CONTROL_URL", "")
REQUIRED = os.environ.get("LAB_E2E") == "1"


class PlatformTest(unittest.TestCase):
    """Base of the tests against the real platform."""

    needs_control = False

    @classmethod
    def setUpClass(cls) -> None:
        missing = not (URL and KEY) or (cls.needs_control and not CONTROL)
        if missing and REQUIRED:
            raise RuntimeError("LAB_E2E=1 but LAB_URL, LAB_API_KEY or LAB_TEST_CONTROL_URL is not set")
        if missing:
            raise unittest.SkipTest("needs a platform: set LAB_URL and LAB_API_KEY (and LAB_TEST_CONTROL_URL)")

    def setUp(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix="labdata-test-")

    def tearDown(self) -> None:
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def gql(query: str, variables: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """A GraphQL call of the test's own (not the client's), returning data; AssertionError on errors."""
    request = urllib.request.Request(
        f"{URL}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        payload = json.loads(answer.read())
    if payload.get("errors"):
        raise AssertionError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


RUN_STATE = """query($id: ID!) { run(id: $id) { id name status params tags config notes endTime
  source { commit branch dirty entryPoint host }
  experiment { name project { name } } metrics { name last min max count lastStep } } }"""
SERIES = """query($id: ID!, $n: String!) { run(id: $id) { metricSeries(name: $n, maxPoints: 10000) {
  exact points { step value count } } } }"""


def run_state(run_id: str) -> Dict[str, Any]:
    return gql(RUN_STATE, {"id": run_id})["run"]


def summary(run_id: str) -> Dict[str, Dict[str, Any]]:
    return {m["name"]: m for m in run_state(run_id)["metrics"]}


def series(run_id: str, name: str) -> Dict[int, float]:
    """step -> value of every point of a metric (exact: at most 10,000 points)."""
    data = gql(SERIES, {"id": run_id, "n": name})["run"]["metricSeries"]
    assert data["exact"], "series too long to read exactly"
    out: Dict[int, float] = {}
    for p in data["points"]:
        assert p["count"] == 1, f"step {p['step']} holds {p['count']} points"
        out[int(p["step"])] = p["value"]
    return out


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    """Retries ``check`` until it stops raising AssertionError, or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def control(service: str, action: str) -> None:
    """Stops or starts a service of the platform (gateway, metrics) through the test's control server."""
    request = urllib.request.Request(f"{CONTROL}/{service}/{action}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=120) as answer:
        assert answer.status == 200


def child(code: str, *, env: Optional[Dict[str, str]] = None, timeout: float = 90.0) -> subprocess.CompletedProcess:
    """Runs a Python script that uses the client, with the platform's address in its environment."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_child(code: str, *, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=dict(os.environ, **(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
