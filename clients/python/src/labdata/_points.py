"""Metric points: name rules, value coercion, and their NDJSON lines for ``POST /v1/metrics``.

A buffered point is a tuple ``(name, value, step, timestamp_ms)``: names are checked
once and remembered, values are floats, so the background thread formats lines with
one string operation each and no JSON encoder.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Any, Iterator, Mapping, Optional, Tuple

#: The platform's metric name rule (docs/ingestion.md).
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")
MAX_STEP = 2**53 - 1
#: The runId of lines spooled before the run exists on the platform (offline mode); ``sync`` replaces it.
OFFLINE_RUN_ID = "@offline-run"

Point = Tuple[str, float, int, int]


def check_name(name: Any) -> str:
    """Returns the name when the platform accepts it; raises ValueError saying the rule otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(
            f"metric name {name!r} is invalid: 1-200 characters of A-Z a-z 0-9 _ . / -, not starting with . / -"
        )
    return name


def check_step(step: Any) -> int:
    """A step is an integer from 0 to 2^53 - 1 (bools refused)."""
    if isinstance(step, bool) or not isinstance(step, int):
        try:
            import numbers

            if isinstance(step, numbers.Integral) and not isinstance(step, bool):
                step = int(step)
            else:
                raise TypeError
        except TypeError:
            raise TypeError(f"step must be an integer, got {step!r}") from None
    if step < 0 or step > MAX_STEP:
        raise ValueError(f"step must be between 0 and 2^53 - 1, got {step}")
    return step


def to_float(value: Any) -> float:
    """A metric value as a float: ints, bools, numpy scalars, one-element tensors; TypeError for text and the rest."""
    if isinstance(value, (str, bytes, bytearray)) or value is None:
        raise TypeError(f"metric value must be a number, got {type(value).__name__} {value!r:.40}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"metric value must be a number, got {type(value).__name__}") from None


def is_finite(value: float) -> bool:
    return value - value == 0.0


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> Iterator[Tuple[str, Any]]:
    """Nested mappings become names joined by "/": ``{"train": {"loss": 1}}`` -> ``("train/loss", 1)``."""
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{name}/")
        else:
            yield name, value


def timestamp_ms(value: Any) -> int:
    """Epoch milliseconds from a datetime (naive = UTC), epoch seconds (int or float) or an ISO-8601 string."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        return timestamp_ms(_dt.datetime.fromisoformat(text))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return int(value * 1000)
    raise TypeError(f"timestamp must be a datetime, epoch seconds or an ISO-8601 string, got {value!r}")


def line(run_id: str, point: Point) -> str:
    """The NDJSON line of one point (no trailing newline). Names need no escaping: the rule allows no quote."""
    name, value, step, ts = point
    return f'{{"runId":"{run_id}","name":"{name}","value":{value!r},"step":{step},"timestamp":{ts}}}'


def iso_utc(ms: Optional[int] = None) -> str:
    """An ISO-8601 UTC timestamp with milliseconds, for GraphQL DateTime arguments."""
    when = _dt.datetime.now(_dt.timezone.utc) if ms is None else _dt.datetime.fromtimestamp(ms / 1000, _dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
