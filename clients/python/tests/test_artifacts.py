"""log_artifact and download: one PUT and parallel multipart, checksums declared and checked."""

from __future__ import annotations

import hashlib
import os
import unittest

from unittest import mock

import labdata
from labdata import _artifacts
from support import PlatformTest, unique

MIB = 1024 * 1024


def write(path: str, size: int, seed: int) -> str:
    block = hashlib.sha256(str(seed).encode()).digest() * (MIB // 32)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            f.write(block[:left])
            left -= len(block)
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


class Artifacts(PlatformTest):
    def test_a_small_file_round_trip(self) -> None:
        run = labdata.init(project=unique("py-artifacts"), system_metrics=False)
        path = os.path.join(self.tmp, "metrics.json")
        checksum = write(path, 1000, 1)
        artifact = run.log_artifact(path)
        self.assertEqual((artifact.name, artifact.size_bytes, artifact.checksum), ("metrics.json", 1000, checksum))
        self.assertEqual(artifact.content_type, "application/json")
        named = run.log_artifact(path, "eval/metrics-final.json")
        run.finish()

        outputs = labdata.Api().run(run.id).outputs()
        self.assertEqual([a.name for a in outputs], ["eval/metrics-final.json", "metrics.json"])
        target = os.path.join(self.tmp, "back")
        os.makedirs(target)
        saved = named.download(target)
        self.assertEqual(saved, os.path.join(target, "eval", "metrics-final.json"))
        with open(saved, "rb") as f:
            self.assertEqual("sha256:" + hashlib.sha256(f.read()).hexdigest(), checksum)
        with self.assertRaises(labdata.LabError) as caught:
            run.log_artifact(path)  # the same name again without overwrite
        self.assertEqual(caught.exception.code, "CONFLICT")

    def test_a_large_file_goes_up_in_parallel_parts_and_comes_back_whole(self) -> None:
        # The platform under test takes parts above 5 MiB (ARTIFACTS_MULTIPART_THRESHOLD_MIB=5, parts of 5 MiB).
        run = labdata.init(project=unique("py-multipart"), system_metrics=False)
        path = os.path.join(self.tmp, "model.safetensors")
        checksum = write(path, 17 * MIB + 123, 2)
        # Watched, not replaced: the parts really go to S3 through the presigned URLs.
        uploaded = []
        original = _artifacts._upload_parts

        def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
            uploaded.append(original(*args, **kwargs))
            return uploaded[-1]

        with mock.patch.object(_artifacts, "_upload_parts", watched):
            artifact = run.log_artifact(path, "ckpt/model.safetensors")
        self.assertEqual([[p["partNumber"] for p in parts] for parts in uploaded], [[1, 2, 3, 4]])
        self.assertEqual((artifact.size_bytes, artifact.checksum), (17 * MIB + 123, checksum))
        run.finish()

        record = labdata.Api().run(run.id)
        saved = record.download("ckpt/model.safetensors", os.path.join(self.tmp, "copy.safetensors"))
        with open(saved, "rb") as f:
            self.assertEqual("sha256:" + hashlib.sha256(f.read()).hexdigest(), checksum)
        self.assertEqual(labdata.Api().artifact(artifact.id).checksum, checksum)


if __name__ == "__main__":
    unittest.main()
