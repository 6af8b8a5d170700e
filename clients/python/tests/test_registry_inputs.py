"""How a run's config, tags and source map onto StartRunInput, today and once the
platform has StartRunInput.config and .source (no platform needed)."""

from __future__ import annotations

import unittest

from labdata import _read, _registry
from labdata._features import Features

CONFIG = {"optimizer": {"name": "adamw", "lr": 3e-4, "betas": [0.9, 0.95]}, "layers": 12, "_target_": "m.X", "flag": True}
SOURCE = {"commit": "abc1234", "branch": "main", "dirty": False, "entryPoint": "train.py", "host": "node-1"}


class StartRunInput(unittest.TestCase):
    def test_today_config_goes_into_dotted_params_and_source_into_tags(self) -> None:
        run, cut = _registry.start_run_input(
            "exp", "r", config=CONFIG, tags={"team": "nlp"}, source=SOURCE, start_time="t", inputs=None, features=Features()
        )
        self.assertFalse(cut)
        self.assertEqual(
            run["params"],
            {"optimizer.name": "adamw", "optimizer.lr": 3e-4, "optimizer.betas": "[0.9, 0.95]", "layers": 12, "target_": "m.X", "flag": True},
        )
        self.assertEqual(
            run["tags"],
            {
                "team": "nlp",
                "source.commit": "abc1234",
                "source.branch": "main",
                "source.dirty": "false",
                "source.entryPoint": "train.py",
                "source.host": "node-1",
            },
        )
        self.assertNotIn("config", run)
        self.assertNotIn("source", run)

    def test_with_the_new_fields_config_and_source_are_sent_as_they_are(self) -> None:
        features = Features(
            start_run_fields=frozenset({"experimentId", "name", "params", "tags", "startTime", "config", "source"}),
            source_fields=frozenset({"commit", "branch", "dirty", "entryPoint"}),
        )
        run, _ = _registry.start_run_input(
            "exp", "r", config=CONFIG, tags={}, source=SOURCE, start_time="t", inputs=["d1"], features=features
        )
        self.assertEqual(run["config"]["optimizer"], {"name": "adamw", "lr": 3e-4, "betas": [0.9, 0.95]})
        self.assertNotIn("params", run)
        self.assertEqual(run["source"], {"commit": "abc1234", "branch": "main", "dirty": False, "entryPoint": "train.py"})
        self.assertEqual(run["tags"], {"source.host": "node-1"})  # a subfield the input lacks stays a tag
        self.assertEqual(run["inputs"], ["d1"])
        odd = dict(SOURCE, commit="not-a-sha", entryPoint="a\nb")
        run, _ = _registry.start_run_input("e", "r", config={}, tags={}, source=odd, start_time="t", inputs=None, features=features)
        self.assertEqual(run["source"], {"branch": "main", "dirty": False})  # values the registry would refuse are left out

    def test_a_config_too_big_for_params_is_cut_and_said_so(self) -> None:
        big = {f"k{i:03d}": i for i in range(150)}
        with self.assertLogs("labdata", "WARNING"):
            run, cut = _registry.start_run_input(
                "e", "r", config=big, tags={}, source={}, start_time="t", inputs=None, features=Features()
            )
        self.assertTrue(cut)
        self.assertEqual(len(run["params"]), 100)

    def test_dotted_params_read_back_as_a_nested_config(self) -> None:
        flat = _registry.flatten_config(CONFIG)
        nested = _read.unflatten(flat)
        self.assertEqual(nested["optimizer"]["lr"], 3e-4)
        self.assertEqual(nested["layers"], 12)


class Ordering(unittest.TestCase):
    def test_order_strings(self) -> None:
        self.assertEqual(_read.parse_order("-start_time"), ("field", "START_TIME", "DESC"))
        self.assertEqual(_read.parse_order("name"), ("field", "NAME", "ASC"))
        self.assertEqual(_read.parse_order("-metrics.val/loss"), ("metric:last", "val/loss", "DESC"))
        self.assertEqual(_read.parse_order("min(metrics.loss)"), ("metric:min", "loss", "ASC"))
        for bad in ("metrics.", "speed", "min(name)"):
            with self.assertRaises(ValueError):
                _read.parse_order(bad)

    def test_runs_without_the_metric_come_last_either_way(self) -> None:
        runs = [
            {"id": "a", "metrics": [{"name": "loss", "last": 0.3}]},
            {"id": "none", "metrics": []},
            {"id": "b", "metrics": [{"name": "loss", "last": 0.1}]},
        ]
        self.assertEqual([r["id"] for r in _read.sort_by_metric(runs, "loss", "last", False)], ["b", "a", "none"])
        self.assertEqual([r["id"] for r in _read.sort_by_metric(runs, "loss", "last", True)], ["a", "b", "none"])


if __name__ == "__main__":
    unittest.main()
