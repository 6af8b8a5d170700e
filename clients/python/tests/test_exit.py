"""A training process that ends without calling finish(): normally, by an exception, by
SIGTERM. Points still buffered arrive and the run ends with the right status."""

from __future__ import annotations

import signal
import unittest

from support import PlatformTest, child, run_state, series, start_child, unique

# Points stay buffered until the end: a long interval and a large batch.
PRELUDE = """
import labdata, sys, time
run = labdata.init(project=sys.argv[1] if len(sys.argv) > 1 else {project!r}, system_metrics=False,
                   flush_interval=3600, batch_size=100000)
for step in range(300):
    run.log({{"loss": 1 / (step + 1)}}, step=step)
print(run.id, flush=True)
"""


class ProcessExit(PlatformTest):
    def check_points(self, run_id: str) -> None:
        self.assertEqual(series(run_id, "loss"), {s: 1 / (s + 1) for s in range(300)})

    def test_exit_without_finish_delivers_the_points_and_completes_the_run(self) -> None:
        done = child(PRELUDE.format(project=unique("py-exit")))
        self.assertEqual(done.returncode, 0, done.stderr)
        run_id = done.stdout.split()[0]
        self.assertEqual(run_state(run_id)["status"], "COMPLETED")
        self.check_points(run_id)

    def test_an_uncaught_exception_marks_the_run_failed(self) -> None:
        done = child(PRELUDE.format(project=unique("py-raise")) + "raise RuntimeError('diverged')\n")
        self.assertEqual(done.returncode, 1)
        self.assertIn("RuntimeError: diverged", done.stderr)  # the program's own traceback is still printed
        run_id = done.stdout.split()[0]
        self.assertEqual(run_state(run_id)["status"], "FAILED")
        self.check_points(run_id)

    def test_ctrl_c_marks_the_run_killed(self) -> None:
        done = child(PRELUDE.format(project=unique("py-interrupt")) + "raise KeyboardInterrupt\n")
        self.assertNotEqual(done.returncode, 0)
        run_id = done.stdout.split()[0]
        self.assertEqual(run_state(run_id)["status"], "KILLED")
        self.check_points(run_id)

    def test_sigterm_flushes_marks_the_run_killed_and_still_ends_the_process(self) -> None:
        process = start_child(PRELUDE.format(project=unique("py-sigterm")) + "time.sleep(120)\n")
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        if not run_id:
            process.kill()
            self.fail(process.communicate()[1])
        self.assertEqual(run_state(run_id)["status"], "RUNNING")
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(60), -signal.SIGTERM)  # died of the signal, as without the client
        process.stdout.close()
        if process.stderr:
            process.stderr.close()
        self.assertEqual(run_state(run_id)["status"], "KILLED")
        self.check_points(run_id)

    def test_a_program_with_its_own_sigterm_handler_decides_itself(self) -> None:
        code = (
            "import signal, sys\n"
            "signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\n"
            + PRELUDE.format(project=unique("py-own-handler"))
            + "import os; os.kill(os.getpid(), signal.SIGTERM); time.sleep(30)\n"
        )
        done = child(code)
        self.assertEqual(done.returncode, 0, done.stderr)
        run_id = done.stdout.split()[0]
        self.assertEqual(run_state(run_id)["status"], "COMPLETED")  # its handler exited cleanly
        self.check_points(run_id)


if __name__ == "__main__":
    unittest.main()
