"""The sender's protocol, against a local HTTP endpoint that answers as told: gzip NDJSON
with the Bearer key, one Idempotency-Key per batch kept on every retry, Retry-After
honoured, no retry on 400/401/403, the disk when nobody answers, the full-buffer policy."""

from __future__ import annotations

import gzip
import http.server
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import unittest
from typing import List, Optional, Tuple

from labdata import _http
from labdata._spool import RunSpool
from labdata._transport import Sender

KEY = "lab_test_secret_key_0123456789"


class Endpoint(http.server.ThreadingHTTPServer):
    """Answers POST /v1/metrics with the next scripted (status, headers, delay); 200 when the script is done."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: List[Tuple[int, dict, float]] = []
        self.seen: List[dict] = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        server: Endpoint = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with server.lock:
            server.seen.append(
                {
                    "at": time.monotonic(),
                    "path": self.path,
                    "auth": self.headers.get("Authorization"),
                    "key": self.headers.get("Idempotency-Key"),
                    "encoding": self.headers.get("Content-Encoding"),
                    "lines": [json.loads(x) for x in gzip.decompress(body).decode().splitlines()],
                }
            )
            status, headers, delay = server.script.pop(0) if server.script else (200, {}, 0.0)
        time.sleep(delay)
        payload = json.dumps({"accepted": 1} if status == 200 else {"code": "X", "message": f"status {status}"}).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Backoff(unittest.TestCase):
    def test_full_jitter_stays_under_the_doubling_cap(self) -> None:
        self.assertEqual(_http.backoff_delay(1, 0.2, 30, rand=lambda: 1.0), 0.2)
        self.assertEqual(_http.backoff_delay(4, 0.2, 30, rand=lambda: 1.0), 1.6)
        self.assertEqual(_http.backoff_delay(20, 0.2, 30, rand=lambda: 1.0), 30)
        self.assertEqual(_http.backoff_delay(3, 0.2, 30, rand=lambda: 0.0), 0.0)

    def test_retry_after_in_seconds_or_as_a_date(self) -> None:
        self.assertEqual(_http.parse_retry_after("3"), 3.0)
        self.assertEqual(_http.parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412485.0), 5.0)
        for nothing in (None, "", "soon", "-1"):
            self.assertIsNone(_http.parse_retry_after(nothing))


class SenderProtocol(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="labdata-sender-")
        self.endpoint = Endpoint()
        self.spool: Optional[RunSpool] = None

    def tearDown(self) -> None:
        self.endpoint.shutdown()
        self.endpoint.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def spool_of_run(self) -> RunSpool:
        if self.spool is None:
            self.spool = RunSpool.create(self.dir, {"name": "r", "runId": "run-1", "mode": "online"})
        return self.spool

    def sender(self, url: Optional[str] = None, **options: object) -> Sender:
        sender = Sender(url=url or self.endpoint.url, api_key=KEY, run_id="run-1", spool=self.spool_of_run, **options)  # type: ignore[arg-type]
        sender.start()
        return sender

    @staticmethod
    def log(sender: Sender, n: int, start: int = 0) -> None:
        for step in range(start, start + n):
            sender.buffer.append(("loss", step / 10, step, 1_700_000_000_000 + step))
            sender.logged += 1

    def test_a_batch_is_gzip_ndjson_with_the_bearer_key_and_a_key_of_its_own(self) -> None:
        sender = self.sender(batch_size=3)
        self.log(sender, 7)
        self.assertTrue(sender.close(10))
        seen = self.endpoint.seen
        self.assertEqual(sum(len(r["lines"]) for r in seen), 7)
        self.assertEqual({r["auth"] for r in seen}, {f"Bearer {KEY}"})
        self.assertEqual({r["encoding"] for r in seen}, {"gzip"})
        self.assertEqual({r["path"] for r in seen}, {"/v1/metrics"})
        self.assertEqual(len({r["key"] for r in seen}), len(seen))
        self.assertEqual(seen[0]["lines"][0], {"runId": "run-1", "name": "loss", "value": 0.0, "step": 0, "timestamp": 1_700_000_000_000})
        self.assertEqual(sender.stats()["delivered"], 7)

    def test_a_retry_keeps_the_key_and_waits_as_long_as_retry_after_says(self) -> None:
        self.endpoint.script = [(503, {"Retry-After": "1"}, 0.0), (429, {"Retry-After": "0.5"}, 0.0)]
        sender = self.sender()
        self.log(sender, 5)
        self.assertTrue(sender.flush(15))
        first, second, third = self.endpoint.seen
        self.assertEqual(first["key"], second["key"])
        self.assertEqual(second["key"], third["key"])
        self.assertGreaterEqual(second["at"] - first["at"], 0.95)
        self.assertGreaterEqual(third["at"] - second["at"], 0.45)
        self.assertEqual(sender.stats()["retries"], 2)
        self.assertEqual(sender.stats()["delivered"], 5)
        sender.close(5)

    def test_refusals_are_not_retried_and_later_batches_still_go(self) -> None:
        self.endpoint.script = [(400, {}, 0.0), (401, {}, 0.0), (403, {}, 0.0)]
        sender = self.sender(batch_size=2)
        with self.assertLogs("labdata", logging.WARNING) as logs:
            for i in range(4):
                self.log(sender, 2, start=2 * i)
                sender.flush(5)
            sender.close(5)
        self.assertEqual(len(self.endpoint.seen), 4)
        self.assertEqual(len({r["key"] for r in self.endpoint.seen}), 4)
        stats = sender.stats()
        self.assertEqual((stats["rejected"], stats["delivered"], stats["retries"]), (6, 2, 0))
        self.assertTrue(any("HTTP 400" in line for line in logs.output))
        self.assertFalse(any(KEY in line for line in logs.output))

    def test_when_nobody_answers_the_points_wait_on_disk_with_their_keys(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}"
        sender = self.sender(url=closed, batch_size=10, flush_interval=0.05)
        with self.assertLogs("labdata", logging.WARNING) as logs:
            self.log(sender, 35)
            self.assertFalse(sender.flush(1.0))
            self.assertFalse(sender.close(0.5))
        spool = self.spool_of_run()
        batches = spool.batches()
        lines = []
        for path, _key in batches:
            with open(path, "rb") as f:
                lines += [json.loads(x) for x in gzip.decompress(f.read()).decode().splitlines()]
        self.assertEqual(sorted(p["step"] for p in lines), list(range(35)))
        self.assertEqual(sender.stats()["pending_points"], 35)
        for folder, _dirs, files in os.walk(spool.path):
            for name in files:
                with open(os.path.join(folder, name), "rb") as f:
                    data = f.read()
                self.assertNotIn(KEY.encode(), data if not name.endswith(".gz") else gzip.decompress(data))
        self.assertFalse(any(KEY in line for line in logs.output))

    def test_a_full_buffer_drops_new_points_and_counts_them(self) -> None:
        # The first request hangs for a while, so nothing leaves the buffer meanwhile.
        self.endpoint.script = [(200, {}, 1.5)]
        sender = Sender(url=self.endpoint.url, api_key=KEY, run_id="run-1", spool=self.spool_of_run, batch_size=5, max_buffered_points=50)
        sender.start()
        # What Run.log does with each value: append while there is room, else count a drop.
        self.log(sender, 5)
        sender.wake()
        time.sleep(0.3)  # the first batch is in flight now
        for step in range(5, 205):
            if len(sender.buffer) < sender.max_buffered_points:
                self.log(sender, 1, start=step)
            else:
                sender.dropped += 1
        self.assertEqual(len(sender.buffer), 50)
        self.assertTrue(sender.close(10))
        stats = sender.stats()
        self.assertEqual((stats["logged"], stats["dropped"], stats["delivered"]), (55, 150, 55))


if __name__ == "__main__":
    unittest.main()
