"""init, log, finish against the platform, checked through GraphQL as a user would."""

from __future__ import annotations

import subprocess
import sys
import unittest

import labdata
from support import PlatformTest, run_state, series, summary, unique


class RoundTrip(PlatformTest):
    def test_every_logged_value_arrives_once_at_its_step(self) -> None:
        project = unique("py-roundtrip")
        run = labdata.init(
            project=project,
            experiment="baseline",
            name="lr-3e-4",
            config={"optimizer": {"name": "adamw", "lr": 3e-4}, "layers": 12},
            tags={"team": "nlp"},
            system_metrics=False,
        )
        self.assertEqual(run.project, project)
        for step in range(500):
            run.log({"train/loss": 1.0 / (step + 1), "lr": 3e-4 * (1 - step / 500)}, step=step)
            if step % 100 == 0:
                run.log({"eval/acc": step / 1000})  # no step: the one after the previous call
        run.finish()

        state = run_state(run.id)
        self.assertEqual(state["status"], "COMPLETED")
        self.assertIsNotNone(state["endTime"])
        self.assertEqual(state["name"], "lr-3e-4")
        self.assertEqual((state["experiment"]["name"], state["experiment"]["project"]["name"]), ("baseline", project))
        # The nested config as given, numbers kept as numbers (StartRunInput.config).
        self.assertEqual(state["config"], {"optimizer": {"name": "adamw", "lr": 3e-4}, "layers": 12})
        self.assertEqual(state["params"], {})
        self.assertEqual(state["tags"], {"team": "nlp"})
        metrics = summary(run.id)
        self.assertEqual(metrics["train/loss"]["count"], 500)
        self.assertEqual(metrics["train/loss"]["lastStep"], 499)
        self.assertEqual(metrics["train/loss"]["last"], 1.0 / 500)
        self.assertEqual(metrics["eval/acc"]["count"], 5)
        loss = series(run.id, "train/loss")
        self.assertEqual(loss, {step: 1.0 / (step + 1) for step in range(500)})
        self.assertEqual(sorted(series(run.id, "eval/acc")), [1, 101, 201, 301, 401])
        self.assertEqual(run.stats()["delivered"], 1005)
        self.assertEqual(run.stats()["dropped"], 0)

    def test_the_source_is_recorded_and_nan_is_skipped(self) -> None:
        repo = self.tmp
        subprocess.run(["git", "init", "-q", "-b", "exp/lr", repo], check=True)
        script = f"{repo}/train.py"
        with open(script, "w") as f:
            f.write(
                "import labdata, sys\n"
                "run = labdata.init(project=sys.argv[1], system_metrics=False)\n"
                "run.log({'loss': float('nan')}); run.log({'loss': 0.5}); run.log({'loss': float('inf')})\n"
                "run.finish(); print(run.id, run.stats()['nonfinite'])\n"
            )
        git = ["git", "-C", repo, "-c", "user.email=t@lab.test", "-c", "user.name=t"]
        subprocess.run([*git, "add", "train.py"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "train"], check=True)
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        with open(script, "a") as f:
            f.write("# an uncommitted change\n")
        done = subprocess.run([sys.executable, script, unique("py-source")], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        run_id, nonfinite = done.stdout.split()
        self.assertEqual(nonfinite, "2")
        source = run_state(run_id)["source"]
        self.assertEqual(source["commit"], commit)
        self.assertEqual(source["branch"], "exp/lr")
        self.assertIs(source["dirty"], True)
        self.assertEqual(source["entryPoint"], "train.py")
        self.assertTrue(source["host"])
        self.assertEqual(labdata.Api().run(run_id).source["commit"], commit)
        self.assertEqual(series(run_id, "loss"), {1: 0.5})

    def test_a_context_manager_marks_an_exception_failed(self) -> None:
        with self.assertRaises(ZeroDivisionError):
            with labdata.init(project=unique("py-with"), system_metrics=False) as run:
                run.log({"loss": 1.0})
                1 / 0  # noqa: B018
        self.assertEqual(run_state(run.id)["status"], "FAILED")
        self.assertEqual(summary(run.id)["loss"]["count"], 1)

    def test_system_metrics_arrive_under_system(self) -> None:
        run = labdata.init(project=unique("py-system"), system_interval=0.3)
        import time

        time.sleep(1.5)
        run.finish()
        names = set(summary(run.id))
        self.assertIn("system/cpu.percent", names)
        self.assertIn("system/memory.percent", names)
        self.assertIn("system/proc.rss_mb", names)

    def test_errors_carry_the_platform_code_and_never_the_key(self) -> None:
        with self.assertRaises(labdata.LabError) as caught:
            labdata.init(project=unique("py-badkey"), api_key="lab_notakey_0000000000000000000000000000000000000000")
        self.assertEqual(caught.exception.code, "UNAUTHENTICATED")
        self.assertNotIn("lab_notakey", str(caught.exception))
        with self.assertRaises(labdata.LabError) as caught:
            labdata.init(project=unique("py-badname"), name="  ", system_metrics=False)
        self.assertEqual(caught.exception.code, "BAD_USER_INPUT")
        with self.assertRaises(labdata.LabError) as caught:
            labdata.init(project=unique("py-nowhere"), url="http://127.0.0.1:9")
        self.assertEqual(caught.exception.code, "SERVICE_UNAVAILABLE")


if __name__ == "__main__":
    unittest.main()
