"""The build backend of the labdata package (PEP 517 and PEP 660), standard library only.

pip builds a package in an isolated environment into which it first downloads the
backend named in pyproject.toml (setuptools, hatchling, ...). On a machine without a
package index that download fails, and Python 3.12+ virtual environments no longer
carry setuptools at all. This backend needs nothing but the standard library, so
``pip install ./clients/python`` works offline everywhere: it writes the wheel (a zip
of ``src/labdata`` with its ``.dist-info``) itself.

The package's metadata lives here; its version in ``src/labdata/_version.py``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile
from typing import Dict, List, Optional, Tuple

NAME = "labdata"
SUMMARY = "Python client of the Lab Data Platform: runs, metrics, artifacts"
REQUIRES_PYTHON = ">=3.9"
EXTRAS = {"pandas": ["pandas"]}
CONSOLE_SCRIPTS = {"labdata": "labdata.__main__:main"}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, "src", NAME)
TAG = "py3-none-any"


def _version() -> str:
    with open(os.path.join(PACKAGE_DIR, "_version.py"), encoding="utf-8") as f:
        match = re.search(r'__version__\s*=\s*"([^"]+)"', f.read())
    if not match:
        raise RuntimeError("src/labdata/_version.py has no __version__")
    return match.group(1)


def _metadata() -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {_version()}",
        f"Summary: {SUMMARY}",
        f"Requires-Python: {REQUIRES_PYTHON}",
    ]
    for extra, requirements in EXTRAS.items():
        lines.append(f"Provides-Extra: {extra}")
        lines.extend(f'Requires-Dist: {r}; extra == "{extra}"' for r in requirements)
    readme = os.path.join(ROOT, "README.md")
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _entry_points() -> str:
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in CONSOLE_SCRIPTS.items())


def _wheel_file() -> str:
    return f"Wheel-Version: 1.0\nGenerator: {NAME}_backend\nRoot-Is-Purelib: true\nTag: {TAG}\n"


def _dist_info() -> str:
    return f"{NAME}-{_version()}.dist-info"


def _package_files() -> List[Tuple[str, str]]:
    """(archive name, path on disk) of every module of the package."""
    files = []
    for folder, dirs, names in os.walk(PACKAGE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py") or name == "py.typed":
                path = os.path.join(folder, name)
                files.append((os.path.relpath(path, os.path.dirname(PACKAGE_DIR)).replace(os.sep, "/"), path))
    return files


def _date_time() -> Tuple[int, int, int, int, int, int]:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))  # 1980-01-01: reproducible by default
    return time.gmtime(max(epoch, 315532800))[:6]


def _write_wheel(directory: str, contents: Dict[str, bytes]) -> str:
    """Writes a wheel of `contents` (archive name -> bytes) plus its dist-info, and returns its file name."""
    dist_info = _dist_info()
    contents = dict(contents)
    contents[f"{dist_info}/METADATA"] = _metadata().encode()
    contents[f"{dist_info}/WHEEL"] = _wheel_file().encode()
    contents[f"{dist_info}/entry_points.txt"] = _entry_points().encode()
    record_name = f"{dist_info}/RECORD"
    record = []
    for name, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{record_name},,")
    contents[record_name] = ("\n".join(record) + "\n").encode()
    file_name = f"{NAME}-{_version()}-{TAG}.whl"
    with zipfile.ZipFile(os.path.join(directory, file_name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=_date_time())
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return file_name


def _write_metadata_dir(directory: str) -> str:
    path = os.path.join(directory, _dist_info())
    os.makedirs(path, exist_ok=True)
    for name, text in (("METADATA", _metadata()), ("WHEEL", _wheel_file()), ("entry_points.txt", _entry_points())):
        with open(os.path.join(path, name), "w", encoding="utf-8") as f:
            f.write(text)
    return _dist_info()


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    """Nothing to install: the standard library builds the wheel."""
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    return _write_metadata_dir(metadata_directory)


def prepare_metadata_for_build_editable(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    return _write_metadata_dir(metadata_directory)


def build_wheel(
    wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None
) -> str:
    """The wheel: the package's modules and its dist-info."""
    contents = {}
    for name, path in _package_files():
        with open(path, "rb") as f:
            contents[name] = f.read()
    return _write_wheel(wheel_directory, contents)


def build_editable(
    wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None
) -> str:
    """`pip install -e`: a wheel holding a .pth file that puts src/ on sys.path."""
    src = os.path.dirname(PACKAGE_DIR)
    return _write_wheel(wheel_directory, {f"_{NAME}_editable.pth": (src + "\n").encode()})


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    """A source archive of what the build needs: pyproject.toml, the backend, README and src/."""
    base = f"{NAME}-{_version()}"
    file_name = f"{base}.tar.gz"
    members = ["pyproject.toml", "README.md", "_backend/labdata_backend.py"]
    members += [os.path.relpath(path, ROOT).replace(os.sep, "/") for _, path in _package_files()]
    mtime = time.mktime(_date_time() + (0, 0, -1))
    with tarfile.open(os.path.join(sdist_directory, file_name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            path = os.path.join(ROOT, member)
            if not os.path.exists(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            info = tarfile.TarInfo(f"{base}/{member}")
            info.size = len(data)
            info.mtime = int(mtime)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        pkg_info = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        info.mtime = int(mtime)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(pkg_info))
    return file_name
