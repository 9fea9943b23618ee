"""How every front end writes a record's numbers: tokens marked when estimated, cost without a currency
(the price table's own), times in the user's zone."""

from __future__ import annotations

import datetime as dt

from techcat_core.runs.record import RunRecord


def tokens_text(record: RunRecord) -> str:
    if record.prompt_tokens is None and record.completion_tokens is None:
        return "-"
    mark = "~" if record.tokens_estimated else ""
    return f"{mark}{record.prompt_tokens or 0:,}/{record.completion_tokens or 0:,}"


def cost_text(cost: float | None) -> str:
    if cost is None:
        return "-"
    return f"{cost:.4f}" if cost >= 0.0001 or cost == 0 else f"{cost:.2e}"


def local_time(stamp: str, seconds: bool = False) -> str:
    """A record's UTC stamp in the local zone, as `2026-12-04 18:40`."""
    try:
        moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC).astimezone()
    except ValueError:
        return stamp
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration_text(milliseconds: int) -> str:
    if milliseconds < 1000:
        return f"{milliseconds} ms"
    seconds = milliseconds / 1000
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def feedback_text(record: RunRecord) -> str:
    if record.rating is None:
        return "-"
    return record.rating + (f": {record.note}" if record.note else "")
