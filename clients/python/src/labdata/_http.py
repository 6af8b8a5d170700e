"""HTTP for every part of the client: one request helper over urllib, and the retry rules.

Requests honour the usual proxy variables (urllib's ProxyHandler). An answer of any
status is returned, not raised; only a failure to get an answer raises ``OSError``.
The API key never appears in an exception or a log line made here.
"""

from __future__ import annotations

import email.utils
import json
import random
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Dict, Optional, Union

from ._version import __version__

USER_AGENT = f"labdata/{__version__} python/{sys.version_info[0]}.{sys.version_info[1]}"

#: Statuses worth another attempt: timeouts, rate limits, a server or gateway in trouble.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass
class Response:
    """An HTTP answer: status, headers (lower-case names) and the whole body."""

    status: int
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json_object(self) -> Dict[str, Any]:
        """The body as a JSON object; empty when the body is empty, not JSON or not an object."""
        try:
            payload = json.loads(self.body.decode("utf-8")) if self.body else {}
        except (ValueError, UnicodeDecodeError):
            return {}
        return payload if isinstance(payload, dict) else {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Presigned URLs and the API never redirect; a redirect would drop the PUT body or leak headers."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def request(
    method: str,
    url: str,
    *,
    body: Union[bytes, BinaryIO, None] = None,
    headers: Optional[Dict[str, str]] = None,
    timeout: float = 30.0,
) -> Response:
    """Sends one request and returns its answer, whatever the status; raises OSError when none came."""
    all_headers = {"User-Agent": USER_AGENT}
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=body, headers=all_headers, method=method)  # type: ignore[arg-type]
    try:
        with _opener.open(req, timeout=timeout) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        try:
            data = error.read()
        except OSError:
            data = b""
        finally:
            error.close()
        return Response(error.code, {k.lower(): v for k, v in (error.headers or {}).items()}, data)
    except urllib.error.URLError as error:
        reason = error.reason if isinstance(error.reason, OSError) else OSError(str(error.reason))
        raise reason from None


def backoff_delay(attempt: int, base: float = 0.2, cap: float = 30.0, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff in seconds: uniform in [0, min(cap, base * 2^(attempt-1))]."""
    return rand() * min(cap, base * (2 ** max(0, attempt - 1)))


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Retry-After as delta-seconds or an HTTP date, in seconds from now; None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def describe_network_error(error: BaseException) -> str:
    """A short text for an OSError that names no credential (urllib puts none in these)."""
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "..."
