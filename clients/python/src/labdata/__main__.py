"""``python -m labdata``: the command line.

    python -m labdata sync [--dir DIR] [--url URL] [--dry-run]   upload offline runs and undelivered data
    python -m labdata status [--dir DIR]                          what run folders still hold

The key comes from ``LAB_API_KEY`` (never an argument: it would show in process lists).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional

from . import _settings, _sync
from ._errors import LabError
from ._spool import RunSpool, run_folders


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labdata", description="Lab Data Platform client")
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="upload offline runs and data that did not reach the platform")
    sync.add_argument("--dir", help="folder of run folders (default LAB_DIR or ./labruns)")
    sync.add_argument("--url", help="the platform's address (default LAB_URL)")
    sync.add_argument("--dry-run", action="store_true", help="say what would be uploaded, upload nothing")
    status = commands.add_parser("status", help="list run folders and what they still hold")
    status.add_argument("--dir", help="folder of run folders (default LAB_DIR or ./labruns)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        settings = _settings.resolve(url=getattr(args, "url", None), dir=args.dir)
        if args.command == "status":
            return _status(settings.dir)
        settings.require_online()
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    assert settings.url is not None and settings.api_key is not None
    if not os.path.isdir(settings.dir):
        print(f"nothing to sync: {settings.dir} does not exist")
        return 0
    try:
        report = _sync.sync_dir(settings.dir, settings.url, settings.api_key, dry_run=args.dry_run)
    except LabError as error:
        print(f"sync failed: {error}", file=sys.stderr)
        return 1
    print(
        f"synced {report.runs_synced} runs ({report.runs_created} created, {report.finished} finished): "
        f"{report.points} points in {report.batches} batches, {report.artifacts} files; "
        f"{report.runs_skipped} skipped, {report.runs_failed} failed"
    )
    return 1 if report.runs_failed else 0


def _status(base_dir: str) -> int:
    folders = run_folders(base_dir)
    if not folders:
        print(f"no runs in {base_dir}")
    for folder in folders:
        spool = RunSpool.open(folder)
        record = spool.record
        state = "synced" if record.get("synced") else str(spool.pending())
        print(f"{os.path.basename(folder)}  {record.get('mode')}  {record.get('name')}  run {record.get('runId') or '-'}  {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
