"""The client's one exception type, carrying the platform's error code."""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class LabError(Exception):
    """An error the platform answered, or a failure to reach it.

    ``code`` is the platform's ``extensions.code`` (``BAD_USER_INPUT``, ``UNAUTHENTICATED``,
    ``FORBIDDEN``, ``NOT_FOUND``, ``CONFLICT``, ``RATE_LIMITED``, ``SERVICE_UNAVAILABLE``,
    ``INTERNAL``, ...). A platform that cannot be reached at all is ``SERVICE_UNAVAILABLE``.
    ``extensions`` holds the rest of the first error's extensions, ``errors`` every GraphQL
    error as answered, ``status`` the HTTP status when there was an answer.
    """

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        extensions: Optional[Dict[str, Any]] = None,
        errors: Optional[List[Dict[str, Any]]] = None,
        status: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.extensions: Dict[str, Any] = dict(extensions or {})
        self.errors: List[Dict[str, Any]] = list(errors or [])
        self.status = status

    def __str__(self) -> str:
        return f"{self.message} ({self.code})" if self.code else self.message
