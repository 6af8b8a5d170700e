"""How live runs end with the process: normal exit, an uncaught exception, SIGTERM, a fork.

- Interpreter exit (``atexit``): each unfinished run flushes (bounded by its
  ``flush_timeout``) and is finished COMPLETED, or FAILED when an exception ended the
  program (KILLED for KeyboardInterrupt). ``sys.excepthook`` is wrapped to tell which.
- SIGTERM, when the program has no handler of its own: each run flushes and is finished
  KILLED, then the signal is raised again with the default action, so the process dies
  of it as it would have (exit status 143, or -15 seen from Python's subprocess). When
  the program has its own handler, runs only flush and that handler decides.
- A forked child (multiprocessing) inherits the parent's runs without their sender
  thread: there they stop accepting points (the parent's run keeps going).
- ``os._exit`` and SIGKILL run nothing: what was already on disk waits for ``sync``.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from types import TracebackType
from typing import Any, Optional, Type

#: Unfinished runs, held strongly: a run whose object the program dropped still ends with the process.
_live: "set[Any]" = set()
_installed = False
_uncaught: Optional[Type[BaseException]] = None
_lock = threading.Lock()


def exit_status() -> str:
    """How the program is ending: COMPLETED, FAILED, or KILLED (KeyboardInterrupt)."""
    if _uncaught is None:
        return "COMPLETED"
    return "KILLED" if issubclass(_uncaught, KeyboardInterrupt) else "FAILED"


def register(run: Any) -> None:
    """Takes part in exit handling; the run needs ``_end_with_process(status, reason)`` and ``_after_fork()``."""
    global _installed
    with _lock:
        _live.add(run)
        if not _installed:
            _install()
            _installed = True


def unregister(run: Any) -> None:
    with _lock:
        _live.discard(run)


def _end_all(status: str, reason: str) -> None:
    for run in list(_live):
        try:
            run._end_with_process(status, reason)
        except Exception:  # noqa: BLE001 - never raise out of exit handling
            pass


def _on_exit() -> None:
    _end_all(exit_status(), "exit")


def _install() -> None:
    atexit.register(_on_exit)
    previous_hook = sys.excepthook

    def excepthook(kind: Type[BaseException], value: BaseException, tb: Optional[TracebackType]) -> None:
        global _uncaught
        _uncaught = kind
        previous_hook(kind, value, tb)

    sys.excepthook = excepthook
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork)
    if threading.current_thread() is threading.main_thread():
        _install_sigterm()


def _install_sigterm() -> None:
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, AttributeError):
        return
    if previous == signal.SIG_IGN or previous is None:
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        if callable(previous):
            for run in list(_live):
                try:
                    run._flush_for_signal()
                except Exception:  # noqa: BLE001
                    pass
            previous(signum, frame)
            return
        _end_all("KILLED", "SIGTERM")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread after all
        pass


def _after_fork() -> None:
    for run in list(_live):
        try:
            run._after_fork()
        except Exception:  # noqa: BLE001
            pass
    _live.clear()

