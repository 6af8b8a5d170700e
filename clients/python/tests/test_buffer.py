"""A full buffer: log() keeps returning, drops the points that find no room and counts
them; everything it kept arrives, nothing else does."""

from __future__ import annotations

import unittest

import labdata
from support import PlatformTest, summary, unique


class FullBuffer(PlatformTest):
    def test_points_beyond_the_buffer_are_dropped_counted_and_never_block(self) -> None:
        run = labdata.init(
            project=unique("py-buffer"), system_metrics=False, max_buffered_points=1_000, batch_size=500
        )
        sender = run._sender
        assert sender is not None
        logged = 0
        most = 0
        for step in range(100_000):  # far faster than any ingest: the buffer fills
            run.log({"loss": step / 100_000}, step=step)
            logged += 1
            most = max(most, len(sender.buffer))
        run.finish()
        stats = run.stats()
        self.assertLessEqual(most, 1_000)
        self.assertGreater(stats["dropped"], 0)
        self.assertEqual(stats["logged"] + stats["dropped"], logged)
        self.assertEqual(stats["delivered"], stats["logged"])
        self.assertEqual(summary(run.id)["loss"]["count"], stats["logged"])


if __name__ == "__main__":
    unittest.main()
