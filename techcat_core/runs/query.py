"""What a listing asks the run history for, and reading `--since` as a user writes it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from techcat_core.runs.record import OUTCOMES, Outcome
from techcat_core.runs.reduce import utc_stamp

_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}
RUN_ID = re.compile(r"^[0-9a-f]{1,32}$|^task-\d+$")


class QueryError(ValueError):
    """A filter the user wrote that means nothing; the message says what would."""


@dataclass(frozen=True)
class RunQuery:
    agent: str | None = None
    outcome: Outcome | None = None
    since: str | None = None  # a `utc_stamp`
    limit: int = 50


def parse_since(text: str, now: dt.datetime | None = None) -> str:
    """`2026-12-01`, `2026-12-01T09:30`, or a span back from now (`30m`, `12h`, `7d`, `2w`) as a UTC stamp."""
    now = now or dt.datetime.now(dt.UTC)
    value = text.strip()
    match = _RELATIVE.match(value)
    if match:
        return utc_stamp(now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(f"since {text!r} is neither a date (2026-12-01), a time (2026-12-01T09:30) nor a span "
                         "back from now (30m, 12h, 7d, 2w)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a time without a zone is the user's local time
    return utc_stamp(moment)


def parse_outcome(text: str) -> Outcome:
    value = text.strip().lower().replace("_", "-").replace(" ", "-")
    for outcome in OUTCOMES:
        if value == outcome:
            return outcome
    raise QueryError(f"outcome {text!r} is not one of {', '.join(OUTCOMES)}")


def check_run_id(text: str) -> str:
    value = text.strip().lower()
    if not RUN_ID.match(value):
        raise QueryError(f"{text!r} is not a run id (8 hex digits, or a unique start of one) nor a task id "
                         "(task-042); `techcat runs` lists them")
    return value
