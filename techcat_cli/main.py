"""`techcat`: the command line. Every command is a thin call into `techcat_core`."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from techcat_cli.common import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UserError, counted
from techcat_cli.common import codex_dir as _codex_dir
from techcat_cli.safe_io import argv_problem, error_json, internal_error_message, reconfigure_streams, wants_json
from techcat_core import __version__


class _NoGitProblem(Exception):
    """Never raised: what `main` catches as a git problem while no git code has been imported."""


def _git_problem() -> type[Exception]:
    """`techcat_core.gitops.GitProblem` once git code has run (only then can one be raised), without importing
    gitops (tempfile, uuid: ~5 ms of every `techcat check`) for the commands that never touch git."""
    gitops = sys.modules.get("techcat_core.gitops")
    problem: type[Exception] = getattr(gitops, "GitProblem", _NoGitProblem)
    return problem


def cmd_check(args: argparse.Namespace) -> int:
    from techcat_cli.render import render_github, render_json, render_text
    from techcat_core.engine import check_path, fix_workspace

    codex = _codex_dir(args)
    if args.fix:
        from techcat_core.fix_writer import FixNotApplied

        try:
            result, applied = fix_workspace(codex, git=not args.no_git)
        except FixNotApplied as error:
            print(f"techcat: fixes not applied: {error}", file=sys.stderr)
            result, applied = check_path(codex, git=not args.no_git), 0
        if args.format == "text":
            print(f"Applied {counted(applied, 'fix', 'fixes')}.", file=sys.stderr)
    else:
        result = check_path(codex, git=not args.no_git)
    base = Path.cwd()
    if args.format == "json":
        sys.stdout.write(render_json(result, base))
    elif args.format == "github":
        sys.stdout.write(render_github(result, base))
    else:
        sys.stdout.write(render_text(result, base, color=sys.stdout.isatty() and "NO_COLOR" not in os.environ))
    # --strict counts every finding about the files; TC405 only says the environment hid some history
    failing = result.has_errors or (args.strict and any(d.code != "TC405" for d in result.diagnostics))
    _kept.append(result)  # not freed on return: `main` may end the process without freeing it (`_exit_now`)
    return EXIT_FINDINGS if failing else EXIT_OK


_kept: list[object] = []  # what `techcat check` built, alive until `main` returns or ends the process


def _exit_now(code: int) -> None:
    """End the process with `code` now, as the interpreter would, minus freeing what `techcat check` built.

    Freeing a parsed 100k-entry log object by object takes ~0.1 s, a quarter of what `json.load` of the
    whole file costs. Everything an ordinary exit does that anyone can see is done first: other threads
    are waited for (or the ordinary exit is left to do it), atexit handlers run, stdout and stderr are
    flushed; when a flush fails (a closed pipe) the ordinary exit reports it as it always has.
    """
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon for t in threading.enumerate()
                                     if t is not threading.main_thread()):
        return
    import atexit

    if not _flushed():
        return  # before the handlers run: the ordinary exit runs them once, as always
    atexit._run_exitfuncs()
    atexit._clear()  # run: an ordinary exit after a failed flush must not run them again
    if _flushed():
        os._exit(code)


def _flushed() -> bool:
    """Flush stdout and stderr; False when one cannot take the output (a closed pipe, a closed stream)."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def cmd_init(args: argparse.Namespace) -> int:
    from techcat_core.scaffold import init_workspace
    from techcat_core.workspace import find_git_root

    root = Path(args.path).resolve()
    if not root.is_dir():
        raise UserError(f"{root} is not a directory")
    if getattr(args, "git", False) and find_git_root(root) is None:
        raise UserError(f"{root} is not inside a git repository, so --git has nothing to register the merge driver "
                        "in; run `git init` first, or leave out --git (nothing was created)")
    codex, created, kept = init_workspace(root)
    for name in created:
        print(f"created {os.path.relpath(codex / name)}")
    for name in kept:
        print(f"kept    {os.path.relpath(codex / name)} (already there)")
    if getattr(args, "git", False):
        from techcat_core.tasklog.merge import register_merge_driver

        for line in register_merge_driver(root):
            print(line)
    if getattr(args, "mcp", False):
        from techcat_mcp.agents_md import AgentsMdError, ensure_agents_paragraph
        from techcat_mcp.snippets import write_snippets

        top = find_git_root(root) or root
        try:
            changed = ensure_agents_paragraph(top)
        except AgentsMdError as error:
            raise UserError(str(error)) from None
        print(f"{'updated' if changed else 'kept   '} {os.path.relpath(top / 'AGENTS.md')} "
              "(the TechCat paragraph between its marker comments)")
        print()
        write_snippets(codex)  # the notice on stderr when `techcat` is not on the PATH
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from techcat_core.schema import task_log_schema_text

    sys.stdout.write(task_log_schema_text())
    return EXIT_OK


def cmd_agents(args: argparse.Namespace) -> int:
    from techcat_cli.frontend_commands import cmd_agents as list_agents  # with where each agent came from

    return list_agents(args)


def sample_workspace_source() -> Path:
    return Path(__file__).resolve().parent.parent / "techcat_core" / "sample"


def copy_sample(destination: Path) -> Path:
    """Copy the bundled sample repository to `destination`; returns its `.codex/`."""
    shutil.copytree(sample_workspace_source(), destination, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("MISTAKES.md", "__pycache__"))
    return destination / ".codex"


def cmd_demo(args: argparse.Namespace) -> int:
    from techcat_tui.demo import demo_workspace  # no Textual: the copy, its git history and its removal on exit

    with demo_workspace() as (codex, history_problem):
        if history_problem:
            print(f"techcat demo: {history_problem}", file=sys.stderr)
        if args.check_only:
            print(f"Sample workspace copied to {codex.parent} (removed on exit)\n", file=sys.stderr)
            args.workspace, args.fix, args.format, args.no_git, args.strict = str(codex), False, "text", True, False
            cmd_check(args)
            return EXIT_OK
        try:
            from techcat_tui.launch import run_tui  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            args.workspace, args.fix, args.format, args.no_git, args.strict = str(codex), False, "text", True, False
            cmd_check(args)
            return EXIT_OK
        return int(run_tui(codex, demo=True))


class UsageError(Exception):
    """The command line does not parse; argparse has printed the usage line already."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error comes back to `main` (which may owe a JSON error) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="techcat", description="The cockpit for a .codex/ agent-memory folder.")
    parser.add_argument("--version", action="version", version=f"techcat {__version__}")
    parser.add_argument("--workspace", "-w", metavar="PATH", help="a folder inside the workspace (default: cwd)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--workspace", "-w", metavar="PATH", default=argparse.SUPPRESS,
                             help="a folder inside the workspace (default: cwd)")
        command.set_defaults(handler=handler)
        return command

    check = add("check", cmd_check, "validate the workspace and report diagnostics")
    check.add_argument("--fix", action="store_true", help="apply the safe fixes, atomically")
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings and notes too")
    check.add_argument("--no-git", action="store_true", help="skip the checks that compare with git history")

    init = add("init", cmd_init, "create a valid .codex/ (never overwrites a file)")
    init.add_argument("path", nargs="?", default=".", help="the repository root (default: .)")
    init.add_argument("--git", action="store_true", help="register the task-log merge driver in this repository")
    init.add_argument("--mcp", action="store_true",
                      help="print MCP client snippets and add the TechCat paragraph (between marker comments) to "
                           "the repository's top-level AGENTS.md")

    add("schema", cmd_schema, "print the task log's JSON Schema")
    add("agents", cmd_agents, "list the roster's agents")
    demo = add("demo", cmd_demo, "open the app on a copy of the bundled sample workspace")
    demo.add_argument("--check-only", action="store_true", help="print the sample's check instead of the app")
    for extra in _extra_commands:
        extra(sub, add)
    return parser


def _register_more(sub: Any, add: Callable[..., argparse.ArgumentParser]) -> None:
    from techcat_cli import frontend_commands, log_commands, run_commands, runs_commands

    log_commands.register(sub, add)
    run_commands.register(sub, add)
    runs_commands.register(sub, add)
    frontend_commands.register(sub, add)


_extra_commands: list[Callable[..., None]] = [_register_more]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every outcome is an exit code with one meaning, and never a traceback.

    Called as the process's own entry (`argv` None: the `techcat` script, `python -m techcat_cli.main`), a
    `techcat check` ends the process here once its output is flushed (`_exit_now`); called with `argv`
    (tests, `lsp_main`), it always returns.
    """
    try:
        code = _main(argv)
        if argv is None and _kept:
            _exit_now(code)
        return code
    finally:
        _kept.clear()


def _main(argv: Sequence[str] | None) -> int:
    reconfigure_streams()
    args_list = list(sys.argv[1:] if argv is None else argv)
    as_json = wants_json(args_list)

    def fail(kind: str, message: str, code: int) -> int:
        print(f"techcat: {message}", file=sys.stderr)
        if as_json:
            sys.stdout.write(error_json(kind, message))
        return code

    problem = argv_problem(args_list)
    if problem is not None:
        return fail("usage", problem, EXIT_USAGE)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except UsageError as error:
        return fail("usage", str(error), EXIT_USAGE)
    try:
        return _run(parser, args)
    except _git_problem() as error:
        return fail("git", f"git: {error}", EXIT_USAGE)
    except UserError as error:
        return fail("usage", str(error), EXIT_USAGE)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:
        return fail("os", f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), EXIT_USAGE)
    except (Exception, RecursionError) as error:  # a bug: say so in one line, never as exit 0 or 1
        return fail("internal", internal_error_message(error), EXIT_INTERNAL)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    if handler is None:
        try:
            from techcat_tui.launch import run_tui  # type: ignore[import-untyped,import-not-found,unused-ignore]
        except ImportError:
            parser.print_help()
            return EXIT_OK
        return int(run_tui(_codex_dir(args) if _has_workspace(args) else None))
    return int(handler(args))


def _has_workspace(args: argparse.Namespace) -> bool:
    try:
        _codex_dir(args)
    except UserError:
        return False
    return True


def lsp_main() -> None:
    sys.exit(main(["lsp", *sys.argv[1:]]))


if __name__ == "__main__":
    sys.exit(main())
