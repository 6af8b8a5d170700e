"""Where the client's settings come from: arguments first, then the environment.

This is the one module that reads ``os.environ``. Every variable:

``LAB_URL``       the platform's address, e.g. ``http://127.0.0.1:4000``
``LAB_API_KEY``   an API key (``lab_...``), sent only as ``Authorization: Bearer``
``LAB_PROJECT``   the default project of ``init()``
``LAB_MODE``      ``online`` (default), ``offline`` or ``disabled``
``LAB_DIR``       the local folder of offline runs and undelivered data (default ``./labruns``)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

MODES = ("online", "offline", "disabled")
DEFAULT_DIR = "labruns"


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``api_key`` is never printed (see ``__repr__``)."""

    url: Optional[str]
    api_key: Optional[str]
    project: Optional[str]
    mode: str
    dir: str

    def __repr__(self) -> str:
        key = "set" if self.api_key else "unset"
        return f"Settings(url={self.url!r}, api_key=<{key}>, project={self.project!r}, mode={self.mode!r}, dir={self.dir!r})"

    def require_online(self) -> "Settings":
        """Raises ValueError naming what is missing to talk to the platform."""
        missing = [n for n, v in (("url (or LAB_URL)", self.url), ("api_key (or LAB_API_KEY)", self.api_key)) if not v]
        if missing:
            raise ValueError(f"labdata: {' and '.join(missing)} must be set to reach the platform")
        return self


def normalize_url(url: str) -> str:
    """Checks an http(s) address and drops a trailing slash (and a trailing /graphql)."""
    url = url.strip()
    if not (url.startswith("http://") or url.startswith("https://")):
        raise ValueError(f"labdata: url must start with http:// or https://, got {url!r}")
    url = url.rstrip("/")
    if url.endswith("/graphql"):
        url = url[: -len("/graphql")]
    return url


def resolve(
    url: Optional[str] = None,
    api_key: Optional[str] = None,
    project: Optional[str] = None,
    mode: Optional[str] = None,
    dir: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Settings:
    """Arguments win over LAB_* variables; returns validated settings (ValueError names the bad one)."""
    env = os.environ if environ is None else environ
    url = url or env.get("LAB_URL") or None
    key = api_key or env.get("LAB_API_KEY") or None
    chosen = (mode or env.get("LAB_MODE") or "online").strip().lower()
    if chosen not in MODES:
        raise ValueError(f"labdata: mode must be one of {', '.join(MODES)}, got {chosen!r}")
    if key is not None and (key != key.strip() or "\n" in key or not key):
        raise ValueError("labdata: api_key must be one line without surrounding spaces")
    return Settings(
        url=normalize_url(url) if url else None,
        api_key=key,
        project=project or env.get("LAB_PROJECT") or None,
        mode=chosen,
        dir=os.path.abspath(dir or env.get("LAB_DIR") or DEFAULT_DIR),
    )
