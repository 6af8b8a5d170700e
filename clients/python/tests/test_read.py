"""The read side: runs filtered and ordered (by attributes and by metrics), history, errors."""

from __future__ import annotations

import importlib.util
import unittest

import labdata
from support import PlatformTest, unique

HAS_PANDAS = importlib.util.find_spec("pandas") is not None


class Read(PlatformTest):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.project = unique("py-read")
        cls.ids = {}
        for lr, loss, status in ((0.1, 0.9, "COMPLETED"), (0.01, 0.3, "COMPLETED"), (0.001, 0.5, "FAILED"), (0.5, None, "COMPLETED")):
            run = labdata.init(project=cls.project, experiment="sweep", name=f"lr-{lr}", config={"lr": lr}, system_metrics=False)
            if loss is not None:
                for step in range(20):
                    run.log({"val/loss": loss + (20 - step) / 100}, step=step)
            run.finish(status)
            cls.ids[lr] = run.id
        other = labdata.init(project=cls.project, experiment="other", name="x", system_metrics=False)
        other.finish()

    def test_runs_of_a_project_filtered_in_the_search_language(self) -> None:
        api = labdata.Api()
        runs = api.runs(self.project, filter="config.lr >= 0.01 AND status = 'COMPLETED'", order="name")
        self.assertEqual([r.name for r in runs], ["lr-0.01", "lr-0.1", "lr-0.5"])
        self.assertEqual(runs[0].config, {"lr": 0.01})
        self.assertEqual(runs[0].experiment, "sweep")
        self.assertEqual(runs[0].project, self.project)
        self.assertEqual(len(api.runs(self.project)), 5)
        self.assertEqual(len(api.runs(self.project, experiment="sweep")), 4)
        self.assertEqual([r.name for r in api.runs(self.project, status="FAILED")], ["lr-0.001"])
        self.assertEqual(len(api.runs(self.project, order="-start_time", limit=2)), 2)
        self.assertEqual([r.name for r in api.runs(self.project, filter={"nameSearch": "0.5"})], ["lr-0.5"])
        self.assertEqual(len(api.runs(self.project, filter="metrics.val/loss < 0.4")), 1)

    def test_runs_ordered_by_a_metric_with_the_runs_lacking_it_last(self) -> None:
        api = labdata.Api()
        best_first = api.runs(self.project, experiment="sweep", order="metrics.val/loss")
        self.assertEqual([r.name for r in best_first], ["lr-0.01", "lr-0.001", "lr-0.1", "lr-0.5"])
        worst_first = api.runs(self.project, experiment="sweep", order="-max(metrics.val/loss)")
        self.assertEqual([r.name for r in worst_first], ["lr-0.1", "lr-0.001", "lr-0.01", "lr-0.5"])
        self.assertAlmostEqual(best_first[0].summary["val/loss"]["last"], 0.31)
        self.assertEqual(best_first[0].summary["val/loss"]["count"], 20)

    def test_history_is_a_list_of_rows_in_step_order(self) -> None:
        run = labdata.Api().run(self.ids[0.01])
        rows = run.history("val/loss")
        self.assertEqual([r["step"] for r in rows], list(range(20)))
        self.assertAlmostEqual(rows[0]["value"], 0.5)
        self.assertEqual(set(rows[0]), {"step", "timestamp", "value", "min", "max", "count"})
        buckets = run.history("val/loss", max_points=4)
        self.assertLessEqual(len(buckets), 4)
        self.assertEqual(sum(b["count"] for b in buckets), 20)
        self.assertEqual(run.history("never/logged"), [])

    @unittest.skipUnless(HAS_PANDAS, "pandas is not installed")
    def test_history_as_a_dataframe(self) -> None:
        frame = labdata.Api().run(self.ids[0.01]).history("val/loss", pandas=True)
        self.assertEqual(list(frame["step"]), list(range(20)))

    def test_without_pandas_a_dataframe_is_a_clear_error(self) -> None:
        if HAS_PANDAS:
            self.skipTest("pandas is installed")
        with self.assertRaisesRegex(labdata.LabError, "pandas is not installed"):
            labdata.Api().run(self.ids[0.01]).history("val/loss", pandas=True)

    def test_a_run_is_renamed_tagged_and_annotated(self) -> None:
        run = labdata.init(project=unique("py-update"), name="draft", tags={"keep": "1", "drop": "1"}, system_metrics=False)
        run.update(name="final", notes="# Findings\nlr 0.01 wins", tags={"best": "yes"}, remove_tags=["drop"], params={"seed": 7})
        self.assertEqual((run.name, run.tags), ("final", {"keep": "1", "best": "yes"}))
        run.finish()
        record = labdata.Api().run(run.id)
        self.assertEqual((record.name, record.notes, record.params), ("final", "# Findings\nlr 0.01 wins", {"seed": "7"}))
        record.update(tags={"reviewed": "true"})
        self.assertEqual(record.tags, {"keep": "1", "best": "yes", "reviewed": "true"})

    def test_unknown_things_are_not_found(self) -> None:
        api = labdata.Api()
        with self.assertRaises(labdata.LabError) as caught:
            api.run("00000000-0000-4000-8000-000000000000")
        self.assertEqual(caught.exception.code, "NOT_FOUND")
        with self.assertRaises(labdata.LabError) as caught:
            api.runs(unique("no-such-project"))
        self.assertEqual(caught.exception.code, "NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
