"""Runs aider in aider's own Python and makes a failed model call an exit status (never imported by TechCat).

Aider answers `--message` and exits 0 even when every call to the model failed (a bad key, a missing model, a
server down): it only prints the error. A run that changed nothing because the model was unreachable must not
look like a run that had nothing to change, so this launcher counts what aider reports as errors and the files it
writes, and exits 1 with the last error when there were errors and no file was written. It also ends aider's
output with the first prose line of the model's last reply, which the runner takes for the log entry's summary
(aider's own last lines are token counts and "Applied edit to ..."). `aider.py` copies this
file into the run's scratch folder and runs it as `AIDER_PYTHON aider_launcher.py AIDER_EXECUTABLE ARGS...`;
where aider cannot be imported by that Python, it runs the executable itself, unchanged.
"""

from __future__ import annotations

import os
import sys
from typing import Any

MAX_SHOWN = 300  # characters of aider's error quoted on stderr
MAX_SUMMARY = 200  # characters of the reply's first prose line
_EDIT_MARKERS = ("```", "<<<<<<<", "=======", ">>>>>>>")


def _last_error(errors: list[str]) -> str:
    for message in reversed(errors):
        line = next((part.strip() for part in message.splitlines() if part.strip()), "")
        if line:
            return line if len(line) <= MAX_SHOWN else line[:MAX_SHOWN - 1] + "…"
    return "an error it did not describe"


def summary_line(reply: str) -> str:
    """The reply's first line that is prose: not a fence, an edit marker or a bare file name."""
    for raw in reply.splitlines():
        line = raw.strip().lstrip("#> ").replace("**", "").strip()
        if not line or line.startswith(_EDIT_MARKERS) or len(line.split()) < 2:
            continue
        return line if len(line) <= MAX_SUMMARY else line[:MAX_SUMMARY - 1] + "…"
    return ""


def main() -> int:
    executable, args = sys.argv[1], sys.argv[2:]
    try:
        from aider.coders.base_coder import Coder  # type: ignore[import-not-found, unused-ignore]
        from aider.io import InputOutput  # type: ignore[import-not-found, unused-ignore]
        from aider.main import main as aider_main  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        os.execv(executable, [executable, *args])
    errors: list[str] = []
    writes: list[str] = []
    replies: list[str] = []
    report_error = InputOutput.tool_error
    write_text = InputOutput.write_text
    apply_updates = Coder.apply_updates

    def counted_error(self: Any, message: Any = "", *rest: Any, **named: Any) -> Any:
        errors.append(str(message))
        return report_error(self, message, *rest, **named)

    def counted_write(self: Any, filename: Any, *rest: Any, **named: Any) -> Any:
        writes.append(str(filename))
        return write_text(self, filename, *rest, **named)

    def noted_updates(self: Any) -> Any:  # called with each reply that got as far as its edits
        replies.append(str(getattr(self, "partial_response_content", "") or ""))
        return apply_updates(self)

    InputOutput.tool_error = counted_error
    InputOutput.write_text = counted_write
    Coder.apply_updates = noted_updates
    status = aider_main(args)
    summary = summary_line(replies[-1]) if replies else ""
    if summary and not status:
        print(summary)
    sys.stdout.flush()
    if status:
        return int(status)
    if errors and not writes:
        sys.stderr.write(f"aider changed no file and reported: {_last_error(errors)}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
