"""GraphQL over HTTP to the gateway, with the platform's errors as LabError.

Queries are retried when the platform is unreachable, rate-limited or answers 5xx
(jittered backoff, Retry-After honoured). A mutation is retried only when it carries
an ``Idempotency-Key`` (docs/design/idempotency.md): the registry then does it once
however many attempts reach it.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Dict, Optional

from . import _http
from ._errors import LabError


def new_key(prefix: str) -> str:
    """A fresh idempotency key (printable ASCII, under 128 characters)."""
    return f"labdata-{prefix}-{uuid.uuid4().hex}"


class GraphQLClient:
    """Posts operations to ``<url>/graphql`` with ``Authorization: Bearer <key>``."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 30.0, attempts: int = 5, max_delay: float = 8.0) -> None:
        self.url = url
        self.endpoint = f"{url}/graphql"
        self._api_key = api_key
        self.timeout = timeout
        self.attempts = attempts
        self.max_delay = max_delay

    def __repr__(self) -> str:
        return f"GraphQLClient({self.url!r})"

    def execute(
        self,
        query: str,
        variables: Optional[Dict[str, Any]] = None,
        *,
        idempotency_key: Optional[str] = None,
        retry: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """Runs one operation and returns its ``data``; raises LabError on any error.

        ``retry`` defaults to True for queries and to "only with an idempotency key" for mutations.
        """
        is_mutation = query.lstrip().startswith("mutation")
        may_retry = retry if retry is not None else (not is_mutation or idempotency_key is not None)
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self._api_key}",
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        attempts = self.attempts if may_retry else 1
        last: Optional[LabError] = None
        for attempt in range(1, attempts + 1):
            wait: Optional[float] = None
            try:
                answer = _http.request("POST", self.endpoint, body=body, headers=headers, timeout=self.timeout)
            except OSError as error:
                last = LabError(
                    f"cannot reach the platform at {self.url}: {_http.describe_network_error(error)}",
                    "SERVICE_UNAVAILABLE",
                )
            else:
                result = self._read(answer)
                if isinstance(result, dict):
                    return result
                last = result
                if not _retryable(answer.status, last):
                    raise last
                wait = _http.parse_retry_after(answer.headers.get("retry-after"))
            if attempt < attempts:
                time.sleep(min(self.max_delay, wait) if wait is not None else _http.backoff_delay(attempt, 0.25, self.max_delay))
        assert last is not None
        raise last

    @staticmethod
    def _read(answer: _http.Response) -> Any:
        """The data of a successful answer, else the LabError it carries."""
        payload = answer.json_object()
        errors = payload.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
            code = extensions.get("code") or _status_code(answer.status)
            return LabError(str(first.get("message", "GraphQL error")), code, extensions=extensions, errors=errors, status=answer.status)
        if answer.ok and isinstance(payload.get("data"), dict):
            return payload["data"]
        code = payload.get("code") if isinstance(payload.get("code"), str) else _status_code(answer.status)
        message = payload.get("message") if isinstance(payload.get("message"), str) else f"HTTP {answer.status} from the platform"
        return LabError(message, code, status=answer.status)


def _retryable(status: int, error: LabError) -> bool:
    """Unavailable, rate-limited, or the same idempotent mutation still in progress elsewhere."""
    if status in _http.RETRYABLE_STATUSES or error.code in ("SERVICE_UNAVAILABLE", "RATE_LIMITED"):
        return True
    return error.code == "CONFLICT" and error.extensions.get("reason") == "IDEMPOTENCY_KEY_IN_PROGRESS"


def _status_code(status: int) -> str:
    return {
        400: "BAD_USER_INPUT",
        401: "UNAUTHENTICATED",
        403: "FORBIDDEN",
        404: "NOT_FOUND",
        409: "CONFLICT",
        413: "PAYLOAD_TOO_LARGE",
        429: "RATE_LIMITED",
        502: "SERVICE_UNAVAILABLE",
        503: "SERVICE_UNAVAILABLE",
        504: "SERVICE_UNAVAILABLE",
    }.get(status, "INTERNAL")
