"""Dates in the task log: ISO `YYYY-MM-DD`, with repairs where the writer's intent is unambiguous."""

from __future__ import annotations

import calendar
import datetime as dt
import re

ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YMD = re.compile(r"^(\d{4})[/.\-_ ](\d{1,2})[/.\-_ ](\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # exactly 8 digits: strptime's %Y%m%d takes 6 or 7 too
_TEXT_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y")


def parse_iso_date(value: str) -> dt.date | None:
    match = ISO_DATE.match(value)
    if not match:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _clamped(year: int, month: int, day: int) -> tuple[dt.date | None, bool]:
    """The date, or the month's last day when the day overflows it (`06-31` → `06-30`, unsafe)."""
    if not 1 <= month <= 12 or day < 1:
        return None, False
    last = calendar.monthrange(year, month)[1]
    if day > last:
        return (dt.date(year, month, last), False) if day <= 31 else (None, False)
    return dt.date(year, month, day), True


def suggest_date(value: str) -> tuple[str | None, bool]:
    """A repaired ISO date for `value` and whether applying it is safe (the intent is unambiguous)."""
    text = value.strip()
    match = _YMD.match(text) or _COMPACT.match(text)
    if match:
        date, safe = _clamped(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        return (date.isoformat(), safe) if date else (None, False)
    match = _DMY.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if first > 12 >= second:
            date, safe = _clamped(year, second, first)
        elif second > 12 >= first:
            date, safe = _clamped(year, first, second)
        else:
            return None, False  # 07/08/2025: July 8th or 7 August? Do not guess.
        return (date.isoformat(), safe) if date else (None, False)
    for fmt in _TEXT_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat(), True
        except ValueError:
            continue
    return None, False


def ambiguous_reading(value: str) -> str | None:
    """For a day-month-year date that reads two ways (06/03/2025), the two readings, to say so."""
    match = _DMY.match(value.strip())
    if not match:
        return None
    first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if first == second or first > 12 or second > 12:
        return None
    try:
        one, other = dt.date(year, first, second), dt.date(year, second, first)
    except ValueError:
        return None
    return f"{one.isoformat()} or {other.isoformat()}"
