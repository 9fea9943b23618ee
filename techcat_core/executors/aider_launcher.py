"""Runs aider in aider's own Python: none of the repository's aider settings, and a failed model call is an exit
status (copied next to the prompt and run there; never imported by TechCat).

Aider reads `.aider.conf.yml`, `.env` (over the environment) and `.aider.model.settings.yml` from the repository,
and those can send the key to another server (`openai-api-base`, `set-env`, `extra_params`), replace the prompt
(`message`) or run commands (`load`, `test-cmd`). Whoever wrote the repository wrote them, and TechCat never lets a
workspace file choose where the user's key goes; so the launcher gives aider no config file, no `.env` and only
the settings files TechCat names (outside the worktree). Aider's own settings come from the user's environment
(AIDER_* variables) and TechCat's flags.

Aider answers `--message` and exits 0 even when every call to the model failed (a bad key, a missing model, a
server down): it only prints the error. A run that changed nothing because the model was unreachable must not
look like a run that had nothing to change, so this launcher counts what aider reports as errors and the files it
writes, and exits 1 with the last error when it reported errors after the model's last reply (or never got
one) and no file was written; an attempt it retried past does not count. It also ends aider's
output with the first prose line of the model's last reply, which the runner takes for the log entry's summary
(aider's own last lines are token counts and "Applied edit to ..."). `aider.py` copies this
file into the run's scratch folder and runs it as `AIDER_PYTHON aider_launcher.py AIDER_EXECUTABLE ARGS...`;
where aider cannot be imported by that Python, or lacks a function the launcher replaces, it stops with exit
status 2 and a sentence rather than run aider unguarded.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Where git finds a repository: inherited from a git hook that started TechCat, they name the hook's repository,
# and aider's `git add` of a new file would stage it in the user's index instead of the run's checkout.
# (the list is techcat_core.gitops.GIT_LOCATION_VARIABLES: this script runs in aider's Python, without TechCat)
GIT_PLACE = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR",
             "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_CEILING_DIRECTORIES")
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


def _outside(folder: str) -> Any:
    """generate_search_path_list keeping only a file named on the command line by absolute path outside `folder`."""
    top = os.path.realpath(folder)

    def named_only(default_file: Any, git_root: Any, command_line_file: Any) -> list[str]:
        if not command_line_file or not os.path.isabs(str(command_line_file)):
            return []
        real = os.path.realpath(str(command_line_file))
        return [] if real == top or real.startswith(top + os.sep) else [real]

    return named_only


def main() -> int:
    executable, args = sys.argv[1], sys.argv[2:]
    for name in GIT_PLACE:
        os.environ.pop(name, None)
    try:
        import aider.main as aider_module  # type: ignore[import-not-found, unused-ignore]
        from aider.coders.base_coder import Coder  # type: ignore[import-not-found, unused-ignore]
        from aider.io import InputOutput  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        sys.stderr.write(f"{sys.executable} cannot import aider ({error}), so {executable} was not run; install "
                         "aider with pip, pipx or uv so that its script runs its own Python\n")
        return 2
    missing = [name for name in ("get_parser", "load_dotenv_files", "generate_search_path_list", "main")
               if not callable(getattr(aider_module, name, None))]
    missing += [f"{owner.__name__}.{name}" for owner, name in ((InputOutput, "tool_error"), (InputOutput, "write_text"),
                                                              (Coder, "apply_updates"))
                if not callable(getattr(owner, name, None))]
    if missing:
        version = getattr(sys.modules.get("aider"), "__version__", "?")
        sys.stderr.write(f"aider {version} has no {', '.join(missing)}, which TechCat replaces to keep the "
                         "repository's aider settings out; TechCat was tested with aider 0.86.2\n")
        return 2
    get_parser = aider_module.get_parser
    aider_module.get_parser = lambda config_files, git_root: get_parser([], git_root)  # no .aider.conf.yml
    aider_module.load_dotenv_files = lambda *given, **named: []  # no .env
    aider_module.generate_search_path_list = _outside(os.getcwd())  # settings files: only TechCat's
    aider_main = aider_module.main
    errors: list[str] = []
    writes: list[str] = []
    replies: list[str] = []
    settled = [0]  # errors reported before the last reply arrived: attempts aider retried past
    report_error = InputOutput.tool_error
    write_text = InputOutput.write_text
    apply_updates = Coder.apply_updates

    def counted_error(self: Any, message: Any = "", *rest: Any, **named: Any) -> Any:
        errors.append(str(message))
        return report_error(self, message, *rest, **named)

    def counted_write(self: Any, filename: Any, *rest: Any, **named: Any) -> Any:
        writes.append(str(filename))
        return write_text(self, filename, *rest, **named)

    def noted_updates(self: Any) -> Any:  # called after each model call, with what the model said (if anything)
        reply = str(getattr(self, "partial_response_content", "") or "")
        if reply.strip():  # a call that failed leaves it empty
            replies.append(reply)
            settled[0] = len(errors)
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
    if errors[settled[0]:] and not writes:
        sys.stderr.write(f"aider changed no file and reported: {_last_error(errors[settled[0]:])}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
