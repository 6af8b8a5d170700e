"""The standard-library build backend writes a valid wheel, sdist and editable wheel."""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import shutil
import sys
import tarfile
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "_backend"))
backend = importlib.import_module("labdata_backend")


class Backend(unittest.TestCase):
    def setUp(self) -> None:
        self.out = tempfile.mkdtemp(prefix="labdata-build-")

    def tearDown(self) -> None:
        shutil.rmtree(self.out, ignore_errors=True)

    def test_needs_nothing_to_build(self) -> None:
        self.assertEqual(backend.get_requires_for_build_wheel(), [])
        self.assertEqual(backend.get_requires_for_build_sdist(), [])

    def test_the_wheel_holds_every_module_and_a_record_that_matches(self) -> None:
        name = backend.build_wheel(self.out)
        self.assertRegex(name, r"^labdata-\d+\.\d+\.\d+-py3-none-any\.whl$")
        with zipfile.ZipFile(os.path.join(self.out, name)) as wheel:
            names = set(wheel.namelist())
            for module in ("__init__", "__main__", "_transport", "_spool", "_sync", "_version"):
                self.assertIn(f"labdata/{module}.py", names)
            dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = wheel.read(f"{dist_info}/METADATA").decode()
            self.assertIn("Name: labdata", metadata)
            self.assertIn("Requires-Python: >=3.9", metadata)
            self.assertIn("labdata = labdata.__main__:main", wheel.read(f"{dist_info}/entry_points.txt").decode())
            for row in wheel.read(f"{dist_info}/RECORD").decode().splitlines():
                path, digest, size = row.split(",")
                if not digest:
                    continue
                data = wheel.read(path)
                expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                self.assertEqual(digest, f"sha256={expected}", path)
                self.assertEqual(int(size), len(data))
            self.assertFalse(any("__pycache__" in n for n in names))

    def test_editable_wheel_points_at_src(self) -> None:
        name = backend.build_editable(self.out)
        with zipfile.ZipFile(os.path.join(self.out, name)) as wheel:
            pth = wheel.read("_labdata_editable.pth").decode().strip()
        self.assertTrue(os.path.isfile(os.path.join(pth, "labdata", "__init__.py")))

    def test_sdist_can_be_built_again(self) -> None:
        name = backend.build_sdist(self.out)
        with tarfile.open(os.path.join(self.out, name)) as sdist:
            members = sdist.getnames()
        base = name[: -len(".tar.gz")]
        for needed in ("pyproject.toml", "_backend/labdata_backend.py", "src/labdata/__init__.py", "PKG-INFO"):
            self.assertIn(f"{base}/{needed}", members)


if __name__ == "__main__":
    unittest.main()
