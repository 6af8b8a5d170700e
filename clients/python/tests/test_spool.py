"""A run's local folder: batches in order, refusals kept aside, artifacts, the writer's lock."""

from __future__ import annotations

import os
import shutil
import tempfile
import unittest

from labdata._spool import RunSpool, run_folders


class Spool(unittest.TestCase):
    def setUp(self) -> None:
        self.base = tempfile.mkdtemp(prefix="labdata-spool-")

    def tearDown(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def test_batches_come_back_in_order_with_their_keys(self) -> None:
        spool = RunSpool.create(self.base, {"name": "r", "runId": None})
        paths = [spool.write_batch(f"labdata-m-{i}", f"body{i}".encode()) for i in range(3)]
        self.assertEqual([k for _, k in spool.batches()], ["labdata-m-0", "labdata-m-1", "labdata-m-2"])
        spool.remove_batch(paths[0])
        spool.reject_batch(paths[1], "HTTP 400: line 1: bad")
        self.assertEqual([k for _, k in spool.batches()], ["labdata-m-2"])
        self.assertEqual(spool.rejected_count(), 1)
        # Numbering goes on after a reopen, past the refused one too.
        again = RunSpool.open(spool.path)
        later = again.write_batch("labdata-m-3", b"x")
        self.assertGreater(os.path.basename(later), os.path.basename(paths[2]))
        self.assertEqual(run_folders(self.base), [spool.path])

    def test_the_record_is_replaced_whole(self) -> None:
        spool = RunSpool.create(self.base, {"name": "r", "runId": None})
        spool.update(runId="abc", finish={"status": "COMPLETED"})
        self.assertEqual(RunSpool.open(spool.path).record["runId"], "abc")
        self.assertEqual([n for n in os.listdir(spool.path) if ".tmp-" in n], [])
        self.assertEqual(spool.pending(), {"batches": 0, "artifacts": 0, "start": False, "finish": True})

    def test_one_writer_at_a_time(self) -> None:
        spool = RunSpool.create(self.base, {"name": "r"})
        self.assertTrue(spool.try_lock())
        other = RunSpool.open(spool.path)
        self.assertFalse(other.try_lock())
        spool.unlock()
        self.assertTrue(other.try_lock())
        other.unlock()

    def test_artifacts_are_kept_with_their_record(self) -> None:
        spool = RunSpool.create(self.base, {"name": "r"})
        source = os.path.join(self.base, "weights.bin")
        with open(source, "wb") as f:
            f.write(b"\x00" * 100)
        item = spool.add_artifact(source, {"name": "ckpt/weights.bin", "checksum": "sha256:x"})
        listed = list(spool.artifacts())
        self.assertEqual(listed, [(item, {"name": "ckpt/weights.bin", "checksum": "sha256:x"})])
        with open(os.path.join(item, "file"), "rb") as f:
            self.assertEqual(len(f.read()), 100)
        spool.remove_artifact(item)
        self.assertEqual(list(spool.artifacts()), [])


if __name__ == "__main__":
    unittest.main()
