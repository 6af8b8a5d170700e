"""Offline runs: everything kept in a folder, then ``python -m labdata sync`` uploads it exactly once."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import unittest

import labdata
from labdata import _graphql, _spool, _sync, _transport
from support import KEY, URL, PlatformTest, gql, run_state, series, summary, unique

RUNS_OF = "query($p: ID!) { runs(filter: { projectId: $p }) { totalCount edges { node { id name status startTime } } } }"


def sync_cli(folder: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labdata", "sync", "--dir", folder], capture_output=True, text=True, timeout=120
    )


class Offline(PlatformTest):
    def log_offline_run(self, project: str) -> labdata.Run:
        run = labdata.init(
            project=project, experiment="offline", name="on-a-plane", config={"lr": 0.1}, mode="offline", dir=self.tmp,
            batch_size=100, system_metrics=False,
        )
        self.assertIsNone(run.id)
        for step in range(250):
            run.log({"loss": 1 / (step + 1), "acc": step / 250}, step=step)
        artifact_path = os.path.join(self.tmp, "notes.txt")
        with open(artifact_path, "w") as f:
            f.write("trained without a network\n")
        run.log_artifact(artifact_path)
        run.finish()
        return run

    def project_runs(self, project: str) -> dict:
        project_id = labdata.Api().runs(project)[0].project_id
        return gql(RUNS_OF, {"p": project_id})["runs"]

    def test_sync_uploads_an_offline_run_once_and_a_second_sync_changes_nothing(self) -> None:
        project = unique("py-offline")
        run = self.log_offline_run(project)
        with self.assertRaises(labdata.LabError):  # nothing reached the platform
            labdata.Api().runs(project)
        start_time = _spool.RunSpool.open(run.dir).record["startTime"]

        first = sync_cli(self.tmp)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("synced 1 runs (1 created, 1 finished): 500 points", first.stdout)
        runs = self.project_runs(project)
        self.assertEqual(runs["totalCount"], 1)
        node = runs["edges"][0]["node"]
        self.assertEqual((node["name"], node["status"], node["startTime"]), ("on-a-plane", "COMPLETED", start_time))
        self.assertEqual(series(node["id"], "loss"), {s: 1 / (s + 1) for s in range(250)})
        self.assertEqual(summary(node["id"])["acc"]["count"], 250)
        self.assertEqual(run_state(node["id"])["config"], {"lr": 0.1})
        outputs = labdata.Api().run(node["id"]).outputs()
        self.assertEqual([(a.name, a.size_bytes) for a in outputs], [("notes.txt", 26)])

        second = sync_cli(self.tmp)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("synced 0 runs", second.stdout)
        self.assertEqual(self.project_runs(project)["totalCount"], 1)
        self.assertEqual(summary(node["id"])["loss"]["count"], 250)

    def test_a_sync_that_died_half_way_is_completed_without_doubling_anything(self) -> None:
        project = unique("py-offline-crash")
        run = self.log_offline_run(project)
        client = _graphql.GraphQLClient(URL, KEY)
        folder = _spool.RunSpool.open(run.dir)
        # The first sync created the run and delivered one batch, then died before writing either down.
        _sync._create_run(client, folder)
        run_id = folder.record["runId"]
        folder.update(runId=None)
        path, key = folder.batches()[0]
        with open(path, "rb") as f:
            body = _sync._with_run_id(f.read(), run_id)
        self.assertEqual(_transport.post_batch(URL, KEY, key, body, 30).kind, "ok")
        delivered_once = gzip.decompress(body).count(b"\n")
        self.assertEqual(summary(run_id)["loss"]["count"] + summary(run_id)["acc"]["count"], delivered_once)

        done = sync_cli(self.tmp)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        runs = self.project_runs(project)
        self.assertEqual(runs["totalCount"], 1)
        self.assertEqual(runs["edges"][0]["node"]["id"], run_id)
        self.assertEqual(summary(run_id)["loss"]["count"], 250)
        self.assertEqual(summary(run_id)["acc"]["count"], 250)
        self.assertEqual(series(run_id, "acc"), {s: s / 250 for s in range(250)})

    def test_status_lists_what_folders_hold(self) -> None:
        self.log_offline_run(unique("py-offline-status"))
        shown = subprocess.run(
            [sys.executable, "-m", "labdata", "status", "--dir", self.tmp], capture_output=True, text=True, timeout=30
        )
        self.assertEqual(shown.returncode, 0)
        self.assertIn("offline  on-a-plane", shown.stdout)
        self.assertRegex(shown.stdout, r"'batches': [1-9]")


if __name__ == "__main__":
    unittest.main()
