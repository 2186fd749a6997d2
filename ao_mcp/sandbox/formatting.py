"""Date and duration renderings, one per shape the documentation's samples show.

AcademyOcean is not uniform: most dates are ATOM strings, learnersProgressByCourse
uses US ``MM/DD/YYYY`` and ``7:41 AM``, quiz statistics ``07:40 AM``, and a group's
course progress a bare ``YYYY-MM-DD``. Timestamps in the sandbox are whole epoch
seconds in UTC (the doc: "All dates returned ... are in the UTC timezone").
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

__all__ = ["atom", "clock12", "hms", "iso_date", "parse_date", "us_date"]


def atom(ts: int | None) -> str | None:
    """``2017-07-24T10:26:23+00:00``, or ``None`` for no date."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def iso_date(ts: int | None) -> str | None:
    """``2021-12-08``: what the doc's sample shows for a course group's start and finish."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def us_date(ts: int | None) -> str | None:
    """``01/24/2021``."""
    if ts is None:
        return None
    return time.strftime("%m/%d/%Y", time.gmtime(ts))


def clock12(ts: int | None, *, pad: bool = False) -> str | None:
    """``7:41 AM`` (``pad=False``, learnersProgressByCourse) or ``07:40 AM`` (quiz statistics)."""
    if ts is None:
        return None
    parts = time.gmtime(ts)
    hour = parts.tm_hour % 12 or 12
    suffix = "AM" if parts.tm_hour < 12 else "PM"
    return f"{hour:02d}:{parts.tm_min:02d} {suffix}" if pad else f"{hour}:{parts.tm_min:02d} {suffix}"


def hms(seconds: int | None) -> str | None:
    """``00:10:50``; hours are not capped at 24."""
    if seconds is None:
        return None
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_date(text: str) -> tuple[int, bool] | None:
    """Parse a filter date as PHP's Carbon would accept the common forms.

    Returns ``(epoch seconds, has_time)`` so that ``date=2017-09-24`` can compare by
    calendar day while a full datetime compares to the second; ``None`` if unreadable.
    """
    text = text.strip()
    if not text:
        return None
    for fmt in _FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        return int(parsed.timestamp()), fmt != "%Y-%m-%d"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp()), True
