"""Metric points: names, values, steps, timestamps and the NDJSON line (no platform needed)."""

from __future__ import annotations

import datetime as dt
import json
import unittest

from labdata import _points


class NamesAndValues(unittest.TestCase):
    def test_names_follow_the_platform_rule(self) -> None:
        for good in ("loss", "train/loss", "eval.acc", "_x", "gpu/0/util-max", "a" * 200):
            self.assertEqual(_points.check_name(good), good)
        for bad in ("", "/loss", ".x", "-x", "a b", 'q"uote', "a" * 201, 3, None):
            with self.assertRaises(ValueError, msg=repr(bad)):
                _points.check_name(bad)

    def test_values_are_numbers_of_any_kind_but_text(self) -> None:
        self.assertEqual(_points.to_float(3), 3.0)
        self.assertEqual(_points.to_float(True), 1.0)

        class Scalar:  # a numpy scalar or a one-element tensor
            def __float__(self) -> float:
                return 0.25

        self.assertEqual(_points.to_float(Scalar()), 0.25)
        for bad in ("0.5", b"1", None, [1.0], object()):
            with self.assertRaises(TypeError, msg=repr(bad)):
                _points.to_float(bad)

    def test_non_finite_values_are_told_apart(self) -> None:
        self.assertTrue(_points.is_finite(1e308))
        for value in (float("nan"), float("inf"), float("-inf")):
            self.assertFalse(_points.is_finite(value))

    def test_steps_are_non_negative_integers(self) -> None:
        self.assertEqual(_points.check_step(0), 0)
        self.assertEqual(_points.check_step(2**53 - 1), 2**53 - 1)
        for bad in (-1, 2**53):
            with self.assertRaises(ValueError):
                _points.check_step(bad)
        for bad in (1.5, "3", True, None):
            with self.assertRaises(TypeError):
                _points.check_step(bad)

    def test_nested_mappings_are_joined_with_slashes(self) -> None:
        self.assertEqual(
            dict(_points.flatten({"train": {"loss": 1, "acc": {"top1": 2}}, "lr": 3})),
            {"train/loss": 1, "train/acc/top1": 2, "lr": 3},
        )


class Encoding(unittest.TestCase):
    def test_a_line_is_the_json_the_ingest_endpoint_reads(self) -> None:
        for value in (0.1, 1e-05, -0.0, 1e22, 123456789.125, 5e-324):
            line = _points.line("r1", ("train/loss", value, 7, 1700000000123))
            self.assertEqual(
                json.loads(line),
                {"runId": "r1", "name": "train/loss", "value": value, "step": 7, "timestamp": 1700000000123},
            )

    def test_timestamps_from_datetimes_epoch_seconds_and_iso_text(self) -> None:
        when = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
        ms = 1767323045678
        self.assertEqual(_points.timestamp_ms(when), ms)
        self.assertEqual(_points.timestamp_ms(when.replace(tzinfo=None)), ms)  # naive is UTC
        self.assertEqual(_points.timestamp_ms(ms / 1000), ms)
        self.assertEqual(_points.timestamp_ms("2026-01-02T03:04:05.678Z"), ms)
        with self.assertRaises(TypeError):
            _points.timestamp_ms(float("nan"))

    def test_iso_utc_has_milliseconds(self) -> None:
        self.assertEqual(_points.iso_utc(1767323045678), "2026-01-02T03:04:05.678Z")


if __name__ == "__main__":
    unittest.main()
