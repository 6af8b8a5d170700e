"""Where a run comes from: git commit, branch, dirty flag, entry point, host.

Each is best effort: a missing git, a folder outside a repository or a slow command
(2 s at most each) leaves that field out; nothing here raises.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import Dict, Optional, Union

Source = Dict[str, Union[str, bool]]


def _git(args: list, cwd: str) -> Optional[str]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=2, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def entry_point() -> Optional[str]:
    """The script (or ``-m`` module) the process runs."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", None) and spec.name != "__main__":
        return f"-m {spec.name}"
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else None)
    return os.path.abspath(path) if path and path not in ("-c", "-") else None


def detect(cwd: Optional[str] = None) -> Source:
    """commit, branch, dirty (bool), entryPoint (relative to the repository when inside it), host."""
    source: Source = {}
    try:
        source["host"] = socket.gethostname()
    except OSError:
        pass
    entry = entry_point()
    folder = cwd or (os.path.dirname(entry) if entry and not entry.startswith("-m ") else os.getcwd())
    root = _git(["rev-parse", "--show-toplevel"], folder) if os.path.isdir(folder) else None
    if root:
        commit = _git(["rev-parse", "HEAD"], root)
        if commit:
            source["commit"] = commit
        branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], root)
        if branch and branch != "HEAD":
            source["branch"] = branch
        status = _git(["status", "--porcelain", "--untracked-files=no"], root)
        if status is not None:
            source["dirty"] = status != ""
    if entry:
        if root and not entry.startswith("-m "):
            try:
                relative = os.path.relpath(entry, root)
                entry = entry if relative.startswith("..") else relative
            except ValueError:
                pass
        source["entryPoint"] = entry
    return source
