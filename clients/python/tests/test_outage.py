"""The platform going away mid-run: the gateway stopped and started again, the metrics
service stopped and started again, a process ending during an outage. Nothing is lost,
nothing is stored twice (every retry carries its batch's Idempotency-Key)."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import textwrap
import time
import unittest

import labdata
from labdata import _transport
from support import KEY, URL, PlatformTest, control, run_state, series, summary, unique


class Outage(PlatformTest):
    needs_control = True

    def log_through(self, service: str) -> None:
        run = labdata.init(project=unique(f"py-outage-{service}"), system_metrics=False, flush_interval=0.2, flush_timeout=60)
        worst = 0.0
        for step in range(600):
            if step == 150:
                control(service, "stop")
            if step == 450:
                control(service, "start")
            began = time.perf_counter()
            run.log({"loss": 1 / (step + 1), "step_mod": step % 7}, step=step)
            worst = max(worst, time.perf_counter() - began)
            time.sleep(0.005)
        run.finish()
        stats = run.stats()
        self.assertGreater(stats["retries"], 0, stats)
        self.assertEqual(stats["delivered"], 1200, stats)
        self.assertEqual(stats["dropped"], 0)
        self.assertEqual(run_state(run.id)["status"], "COMPLETED")
        self.assertEqual(series(run.id, "loss"), {s: 1 / (s + 1) for s in range(600)})
        self.assertEqual(summary(run.id)["step_mod"]["count"], 600)
        self.assertEqual(run._spool.batches() if run._spool else [], [])  # nothing left on disk
        print(f"\n  {service} outage: {stats['retries']} retries, slowest log() {worst * 1e3:.2f} ms", file=sys.stderr)

    def test_the_gateway_stopped_and_started_again_mid_run(self) -> None:
        self.log_through("gateway")

    def test_the_metrics_service_stopped_and_started_again_mid_run(self) -> None:
        self.log_through("metrics")

    def test_a_batch_sent_twice_under_its_key_is_stored_once(self) -> None:
        run = labdata.init(project=unique("py-twice"), system_metrics=False)
        lines = "".join(
            f'{{"runId":"{run.id}","name":"loss","value":{s / 10},"step":{s},"timestamp":{int(time.time() * 1000)}}}\n'
            for s in range(50)
        )
        body = gzip.compress(lines.encode())
        first = _transport.post_batch(URL, KEY, "labdata-test-twice", body, 30)
        again = _transport.post_batch(URL, KEY, "labdata-test-twice", body, 30)
        self.assertEqual((first.kind, again.kind), ("ok", "ok"))
        run.finish()
        self.assertEqual(summary(run.id)["loss"]["count"], 50)

    def test_a_process_ending_during_an_outage_leaves_its_points_for_sync(self) -> None:
        folder = os.path.join(self.tmp, "labruns")
        code = """
            import labdata, sys
            run = labdata.init(project=sys.argv[1] if len(sys.argv) > 1 else %r, system_metrics=False,
                               flush_timeout=2, dir=%r)
            print(run.id, flush=True)
            sys.stdin.readline()  # the platform is down now
            for step in range(200):
                run.log({"loss": step / 200}, step=step)
        """ % (unique("py-exit-outage"), folder)
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        control("gateway", "stop")
        try:
            out, err = process.communicate("go\n", timeout=60)
        finally:
            control("gateway", "start")
        self.assertEqual(process.returncode, 0, err)
        self.assertIn("python -m labdata sync", err)
        self.assertEqual(run_state(run_id)["status"], "RUNNING")

        done = subprocess.run([sys.executable, "-m", "labdata", "sync", "--dir", folder], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("200 points", done.stdout)
        self.assertEqual(run_state(run_id)["status"], "COMPLETED")
        self.assertEqual(series(run_id, "loss"), {s: s / 200 for s in range(200)})
        again = subprocess.run([sys.executable, "-m", "labdata", "sync", "--dir", folder], capture_output=True, text=True, timeout=60)
        self.assertIn("synced 0 runs", again.stdout)
        self.assertEqual(summary(run_id)["loss"]["count"], 200)


if __name__ == "__main__":
    unittest.main()
