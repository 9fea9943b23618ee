"""The TechCat app: shows the workspace; workers post typed messages and the handlers here apply them.

Threading model: loading, checking, git, writes and file previews run in thread workers that only post
messages (none calls back into a widget); the file watcher (the core's, `techcat_core.watcher`) and agent
runs are async workers; every widget change happens in a message handler on the main thread. What to do
next (load quick or exact, check now or later, read the log's end or reload) is `lifecycle.Lifecycle`'s
decision, kept free of Textual.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget

from techcat_core.diagnostics import Fix, Severity
from techcat_core.usecases.entry import TaskEntry
from techcat_core.watcher import watch_changes
from techcat_core.workspace import CORE_FILES, PROPOSED, TASK_LOG, placed_codex_dir
from techcat_tui import _start_time
from techcat_tui.config import THEMES, TuiConfig, load_tui_config, save_theme
from techcat_tui.git_status import GitStatus, read_git_status
from techcat_tui.lifecycle import Accepted, Lifecycle, LoadReason
from techcat_tui.live import output_folders
from techcat_tui.log_banner import log_banner
from techcat_tui.log_rows import LogRow, fill_search_texts, rows_from_entries
from techcat_tui.log_tail import LogState, read_appended
from techcat_tui.messages import (
    ChecksFinished,
    CommitFailed,
    CommitFinished,
    CommitRequested,
    CopyRequested,
    DiskChanged,
    EditRequested,
    EntryEditRequested,
    FirstScreenShown,
    FixRequested,
    GitRefreshRequested,
    GitStatusRead,
    JumpRequested,
    LogAppended,
    ProposedAction,
    ProposedAddRequested,
    ProposedEditRequested,
    ReloadNeeded,
    RunCompleted,
    RunRequested,
    SnapshotFailed,
    SnapshotLoaded,
    WatcherReady,
    WatcherStopped,
    WriteFailed,
    WriteFinished,
)
from techcat_tui.screens.main import TABS, MainScreen
from techcat_tui.screens.welcome import WelcomeChoice, WelcomeScreen
from techcat_tui.snapshot import Snapshot, load_snapshot, shows_same_rows
from techcat_tui.widgets.agents_view import AgentsView
from techcat_tui.widgets.composed import RETRY_SECONDS, composed
from techcat_tui.widgets.diagnostics_view import DiagnosticsView
from techcat_tui.widgets.documents_view import DocumentsView
from techcat_tui.widgets.git_view import GitView
from techcat_tui.widgets.log_view import LogView
from techcat_tui.widgets.proposed_view import ProposedView
from techcat_tui.widgets.workspace_bar import WorkspaceBar, file_counts

if TYPE_CHECKING:  # the checks load in their worker, after the first screen
    from techcat_core.engine import CheckResult

W = TypeVar("W", bound=Widget)


def screen_view(screen: Widget, kind: type[W]) -> W | None:
    """The view of `kind` on `screen`, or None while it is not there: not mounted yet, or the app is closing and
    its screens are being taken apart (a check or a git read that finishes then must not raise)."""
    found = screen.query(kind)
    return found.first() if found else None


NARROW = 100  # columns below which the log's detail pane is hidden until asked for
TOAST_SECONDS: dict[str, float] = {"information": 3.0, "warning": 8.0, "error": 10.0}  # the longest a toast stays


class TechcatApp(App[int]):
    TITLE = "TechCat Studio"
    CSS_PATH = "techcat.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(str(n), f"show_tab('{tab}')", tab.capitalize(), show=False, id=f"tab.{tab}")
          for n, tab in enumerate(TABS, start=1)),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        # `q` quits from the views wherever it means nothing else (in Proposed it queues, in a text field it
        # types; a dialog ignores it); the footer shows ctrl+q, which quits everywhere (Textual's own quit key)
        Binding("q", "quit_from_view", "Quit", show=False, id="app.quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit_anywhere"),
        Binding("ctrl+r", "reload", "Reload", show=False, id="app.reload"),
        Binding("ctrl+t", "cycle_theme", "Theme", show=False, id="app.theme"),
        Binding("R", "run_agent", "Run agent…", show=False, id="app.run"),
        Binding("i", "init_missing", "Init", show=False, id="app.init"),
    ]

    def __init__(self, codex_dir: Path | None, *, demo: bool = False, start_dir: Path | None = None,
                 config: TuiConfig | None = None, config_problems: list[str] | None = None,
                 watch: bool = True, git: bool = True) -> None:
        super().__init__()
        self.codex_dir = placed_codex_dir(codex_dir) if codex_dir else None
        self.demo = demo
        self.start_dir = (start_dir or Path.cwd()).resolve()
        if config is None:
            config, config_problems = load_tui_config()
        self.tui_config = config
        self.config_problems = config_problems or []
        self.watch_enabled = watch
        self.git_enabled = git
        self.lifecycle = Lifecycle()
        self.check_result: CheckResult | None = None
        self.git_status: GitStatus | None = None
        self.first_screen_seconds: float | None = None
        self.pending_select: str | None = None
        self.last_run_files: list[Path] = []
        self.last_run_entries: list[TaskEntry] = []
        self.notes: list[str] = []
        self._watch_stop: asyncio.Event | None = None
        self._watched_folders: list[Path] = []
        self._toasts_until: dict[tuple[str, str, str], float] = {}  # toasts on screen, until when (monotonic)
        self._later_views_pending = False  # a retry of `_load_later_views` is on a timer

    @property
    def snapshot(self) -> Snapshot | None:
        return self.lifecycle.snapshot

    @property
    def check_running(self) -> bool:
        return self.lifecycle.check_running

    @property
    def watching(self) -> bool:
        """Whether the file watcher is in place (tests wait for this rather than sleeping)."""
        return self.lifecycle.watching

    # -- toasts ---------------------------------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every toast goes within seconds (by severity, whatever a caller asks for), and the same toast raised
        again while it is shown is not stacked under it: the status line and the views keep what lasts."""
        longest = TOAST_SECONDS.get(severity, TOAST_SECONDS["warning"])
        seconds = longest if timeout is None else min(timeout, longest)
        now = time.monotonic()
        key = (title, message, severity)
        if self._toasts_until.get(key, 0.0) > now:
            return
        self._toasts_until = {k: until for k, until in self._toasts_until.items() if until > now}
        self._toasts_until[key] = now + seconds
        super().notify(message, title=title, severity=severity, timeout=seconds, markup=markup)

    # -- start-up -------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.tui_config.theme in self.available_themes:
            self.theme = self.tui_config.theme
        else:
            self.config_problems.append(f"unknown theme {self.tui_config.theme!r}; using {self.theme}")
        if self.tui_config.keys:
            self.set_keymap(self.tui_config.keys)
        for problem in self.config_problems:
            self.notify(problem, title="TUI settings", severity="warning", timeout=10)
        if self.codex_dir is None or not self.codex_dir.is_dir():
            self.push_screen(WelcomeScreen(self.start_dir))
        else:
            self.open_workspace(self.codex_dir)

    def open_workspace(self, codex_dir: Path) -> None:
        self.codex_dir = placed_codex_dir(codex_dir)  # a .codex linked out stays unresolved: its reads are refused
        self.sub_title = str(self.codex_dir.parent)
        self.push_screen(MainScreen())
        self.load_snapshot(LoadReason.OPEN)

    @on(WelcomeChoice)
    def _welcome_choice(self, message: WelcomeChoice) -> None:
        if message.choice == "init":
            from techcat_core.scaffold import init_workspace

            try:
                codex, created, _ = init_workspace(self.start_dir)
            except OSError as error:
                self.notify(f"Cannot create .codex/ in {self.start_dir}: {error.strerror or error}",
                            severity="error")
                return
            self.notify(f"Created {', '.join(created)} in {codex}", title="techcat init")
        elif message.choice == "demo":
            from techcat_tui.demo import copy_sample_workspace

            codex = copy_sample_workspace()
            self.demo = True
        else:
            return
        self.pop_screen()
        self.open_workspace(codex)

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- loading --------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_snapshot(self, reason: LoadReason) -> None:
        """Read the workspace; OPEN loads quickly first, EXACT completes that quick load."""
        assert self.codex_dir is not None
        try:
            snapshot = load_snapshot(self.codex_dir, quick=reason is LoadReason.OPEN,
                                     after=self.lifecycle.read_after(reason))
        except Exception as error:  # a file system failure; parsers themselves never raise
            self.post_message(SnapshotFailed(f"cannot read {self.codex_dir}: {error}"))
            return
        self.post_message(SnapshotLoaded(snapshot, reason))

    def on_snapshot_failed(self, message: SnapshotFailed) -> None:
        self.notify(message.message, severity="error", timeout=10)
        if self.main_screen:
            self.main_screen.status(message.message)

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        screen = self.main_screen
        if screen is None:
            return
        if not screen.views_ready():
            # a small workspace can load before the tabs have composed their views: try again shortly
            self.set_timer(RETRY_SECONDS, lambda: self.post_message(SnapshotLoaded(message.snapshot, message.reason)))
            return
        accepted = self.lifecycle.accept(message.snapshot, message.reason)
        if accepted is None:
            return  # a reload landed first: it is newer than the bytes this exact parse read
        self._show_snapshot(screen, message.snapshot, accepted)

    def _show_snapshot(self, screen: MainScreen, snapshot: Snapshot, accepted: Accepted) -> None:
        previous = accepted.previous
        ws = snapshot.workspace
        log_view = screen.query_one(LogView)
        if previous is not None and snapshot.rows is previous.rows is log_view.rows:
            pass  # the exact load of the quick one: the same rows, no re-filter
        elif previous is not None and shows_same_rows(previous, log_view.rows, snapshot):
            snapshot.rows = log_view.rows  # identical: keep the view's rows, skip the re-filter
            log_view.set_context(sorted(ws.agent_names), ws.root, log_banner(ws) if snapshot.exact else None)
        else:
            log_view.load(snapshot.rows, sorted(ws.agent_names), ws.root,
                          log_banner(ws) if snapshot.exact else None)
        if screen.views_mounted:
            self._load_later_views(screen, snapshot)
        self._select_pending()
        self._refresh_bar()
        if accepted.first:
            self.call_after_refresh(lambda: self.post_message(
                FirstScreenShown(time.perf_counter() - _start_time.START_TIME)))
        if accepted.check:
            self.request_check()
        if accepted.catch_up:
            self._catch_up()
        if accepted.announce:
            count = len(snapshot.rows)
            self.notify(f"Reloaded the workspace: {count:,} log entr{'y' if count == 1 else 'ies'}")

    def _catch_up(self) -> None:
        """Read what was appended since the quick load read the log, once the exact snapshot is in and the
        watcher is in place (an append between the two is seen by neither)."""
        snapshot = self.snapshot
        if self.codex_dir is not None and snapshot is not None and snapshot.log_state is not None:
            self._read_tail(self.codex_dir / TASK_LOG, snapshot.log_state, len(snapshot.rows))

    def _load_later_views(self, screen: MainScreen, snapshot: Snapshot) -> None:
        agents, proposed, documents = (screen_view(screen, AgentsView), screen_view(screen, ProposedView),
                                       screen_view(screen, DocumentsView))
        if agents is None or proposed is None or documents is None:
            return  # the app is closing (its screens are being taken apart)
        if not (composed(agents) and composed(proposed) and composed(documents)):
            # on a busy machine a snapshot can land while a view is still composing: load the newest snapshot
            # once the views have all their widgets
            if not self._later_views_pending:
                self._later_views_pending = True
                self.set_timer(RETRY_SECONDS, lambda: self._load_later_views_again(screen))
            return
        ws = snapshot.workspace
        stats = snapshot.agent_stats()
        agents.load(ws, stats)
        proposed.load(ws, stats)
        documents.load(ws)

    def _load_later_views_again(self, screen: MainScreen) -> None:
        self._later_views_pending = False
        if self.snapshot is not None and screen.is_attached:
            self._load_later_views(screen, self.snapshot)

    def on_first_screen_shown(self, message: FirstScreenShown) -> None:
        self.first_screen_seconds = message.seconds
        self.log.info(f"first screen after {message.seconds:.3f} s")
        if self.main_screen:
            self.main_screen.status("checking…   [$text-muted]? help · ctrl+p commands[/]")
        self.run_worker(self._after_first_screen(), group="start", exit_on_error=False)

    async def _after_first_screen(self) -> None:
        """The rest of start-up, while the log is already on screen and taking keys."""
        screen = self.main_screen
        if screen is None:
            return
        if self.lifecycle.first_screen_shown():
            self.load_snapshot(LoadReason.EXACT)  # in a thread, while the other views mount; it asks for the checks
        await screen.mount_views()
        if self.snapshot is not None:
            self._load_later_views(screen, self.snapshot)
        if self.lifecycle.mounted():
            self.request_check()
        self.refresh_git()
        self.start_watching()
        rows = self.snapshot.rows if self.snapshot else []
        self.run_worker(lambda: fill_search_texts(rows), thread=True, group="search-text", exit_on_error=False)

    def _select_pending(self) -> None:
        screen = self.main_screen
        log_view = screen_view(screen, LogView) if screen is not None else None
        if self.pending_select and log_view is not None and log_view.select_task(self.pending_select):
            self.pending_select = None

    # -- checks ---------------------------------------------------------------------------------------

    def request_check(self) -> None:
        """Run the checks on the current snapshot; if a check is running, run once more after it."""
        generation = self.lifecycle.start_check()
        if generation is not None:
            self._run_checks(generation)
            self._refresh_bar()

    @work(thread=True, group="check", exit_on_error=False)
    def _run_checks(self, generation: int) -> None:
        """Checks the lifecycle's `check_target` (not an argument: workers describe themselves with their
        arguments' repr, and a workspace's repr holds every file)."""
        from techcat_core.engine import CheckResult, check_workspace
        from techcat_core.gc_policy import collector_paused

        ws = self.lifecycle.check_target
        assert ws is not None
        try:
            with collector_paused():
                result = check_workspace(ws, git=self.git_enabled)
        except Exception as error:  # a rule crashing must not take the app down; say so instead
            self.post_message(ChecksFinished(CheckResult(ws, []), generation, f"The checks failed: {error}"))
            return
        self.post_message(ChecksFinished(result, generation))

    def on_checks_finished(self, message: ChecksFinished) -> None:
        again = self.lifecycle.check_finished()
        if message.error is not None:
            self.notify(message.error, severity="error")
        self.check_result = message.result
        screen = self.main_screen
        problems = screen_view(screen, DiagnosticsView) if screen is not None else None
        if screen is not None and problems is not None:  # None: the app is closing
            ws = message.result.workspace
            problems.load(message.result.diagnostics, ws.root)
            errors = message.result.count(Severity.ERROR)
            screen.set_problem_count(errors, len(message.result.diagnostics))
            self._refresh_bar()
            if message.generation == 1:
                count = len(message.result.diagnostics)
                screen.status(f"{'No problems' if not count else f'{count} problem(s): press 5 to see them'}   "
                              "[$text-muted]? help · ctrl+p commands[/]")
        if again:
            self.request_check()

    def _refresh_bar(self) -> None:
        screen = self.main_screen
        bar = screen_view(screen, WorkspaceBar) if screen is not None else None
        if bar is None or self.codex_dir is None:
            return
        ws = self.snapshot.workspace if self.snapshot else None
        counts = file_counts(self.check_result.diagnostics, self.codex_dir) if self.check_result else None
        root = ws.root if ws else self.codex_dir.parent
        bar.show(
            title=root.name, root=root, branch=self.git_status.branch if self.git_status else None,
            checking=self.check_running, demo=self.demo, counts=counts, codex_dir=self.codex_dir)

    # -- git ------------------------------------------------------------------------------------------

    def refresh_git(self) -> None:
        if self.snapshot is None or not self.git_enabled:
            return
        self._read_git()

    @work(thread=True, exclusive=True, group="git", exit_on_error=False)
    def _read_git(self) -> None:
        snapshot = self.snapshot
        assert snapshot is not None
        ws = snapshot.workspace
        logged = {name for row in snapshot.rows[-5000:] for name in row.files}
        self.post_message(GitStatusRead(read_git_status(ws.git_root, ws.codex_dir, logged)))

    def on_git_status_read(self, message: GitStatusRead) -> None:
        self.git_status = message.status
        git_view = screen_view(self.main_screen, GitView) if self.main_screen else None
        if git_view is not None:
            git_view.show(message.status)
        self._refresh_bar()

    @on(GitRefreshRequested)
    def _git_refresh(self) -> None:
        self.refresh_git()

    # -- live -----------------------------------------------------------------------------------------

    def start_watching(self) -> None:
        if not self.watch_enabled or self.codex_dir is None or self.snapshot is None:
            return
        ws = self.snapshot.workspace
        folders = output_folders(ws.root, ws.codex_dir, (f for row in reversed(self.snapshot.rows[-2000:])
                                                         for f in row.files))
        if self._watch_stop is not None and folders == self._watched_folders:
            return
        if self._watch_stop is not None:
            self._watch_stop.set()
            self.lifecycle.watch_stopped()
        self._watched_folders = folders
        self._watch_stop = asyncio.Event()
        self._watch(self.codex_dir, folders, self._watch_stop)

    @work(exclusive=True, group="watch", exit_on_error=False)
    async def _watch(self, codex_dir: Path, folders: list[Path], stop: asyncio.Event) -> None:
        """The core's one watcher; its batches come back as messages, its readiness too."""
        ready = asyncio.Event()

        async def announce() -> None:
            await ready.wait()
            self.post_message(WatcherReady())

        announcer = asyncio.create_task(announce())
        problem = None
        try:
            async for batch in watch_changes(codex_dir, folders, stop=stop, ready=ready, step_ms=15):
                self.post_message(DiskChanged(batch))
        except (OSError, RuntimeError) as error:  # a watched folder vanished; the system's watch limit was reached
            reason = getattr(error, "strerror", None) or error
            problem = f"Stopped watching for changes on disk: {reason}. Ctrl+R reloads."
        finally:
            announcer.cancel()
        if not stop.is_set():
            self.post_message(WatcherStopped(problem))

    def on_watcher_ready(self, _message: WatcherReady) -> None:
        if self.lifecycle.watch_ready():
            self._catch_up()

    def on_watcher_stopped(self, message: WatcherStopped) -> None:
        self.lifecycle.watch_stopped()
        if message.problem:
            self.notify(message.problem, severity="warning")

    def record_own_write(self, paths: Iterable[Path]) -> None:
        """Files this app just wrote: their change events refresh quietly, without "changed on disk"."""
        self.lifecycle.record_own_write(paths)

    def on_disk_changed(self, message: DiskChanged) -> None:
        if self.snapshot is None or self.codex_dir is None:
            return
        plan = self.lifecycle.disk_changed(message.batch)
        if plan.external:
            from techcat_core.watcher import ChangeBatch

            external = ChangeBatch(tuple(c for c in message.batch.changes if c.path in plan.external))
            self.note(external.describe(self.snapshot.workspace.root))
        previews = screen_view(self.main_screen, LogView) if self.main_screen is not None else None
        if plan.refresh_previews and previews is not None:
            previews.refresh_previews()
        if plan.read_tail and self.snapshot.log_state is not None:
            self._read_tail(self.codex_dir / TASK_LOG, self.snapshot.log_state, len(self.snapshot.rows))
        elif plan.reload:
            self.load_snapshot(LoadReason.DISK)
        if plan.refresh_git:
            self.refresh_git()

    @work(thread=True, exclusive=True, group="tail", exit_on_error=False)
    def _read_tail(self, path: Path, state: LogState, base_count: int) -> None:
        appended = read_appended(path, state)
        if appended is None:
            self.post_message(ReloadNeeded(LoadReason.DISK))  # rewritten, not appended to: read it all
            return
        self.post_message(LogAppended(rows_from_entries(appended.entries), appended.state, base_count))

    def on_reload_needed(self, message: ReloadNeeded) -> None:
        self.load_snapshot(message.reason)

    def on_log_appended(self, message: LogAppended) -> None:
        snapshot = self.snapshot
        screen = self.main_screen
        log_view = screen_view(screen, LogView) if screen is not None else None
        if snapshot is None or log_view is None or not self.lifecycle.appended_to_current(message.base_count):
            return
        rows: list[LogRow] = message.rows
        if log_view.rows is not snapshot.rows:
            snapshot.rows = log_view.rows
        log_view.append(rows)  # extends snapshot.rows too: they are the same list
        snapshot.log_state = message.state
        self._select_pending()  # a run's entry may have come in with an earlier read
        if not rows:
            return  # nothing new (a catch-up read after start-up): no sync reload either
        ids = ", ".join(r.task_id for r in rows[:3]) + (" …" if len(rows) > 3 else "")
        self.note(f"{len(rows)} new log entr{'y' if len(rows) == 1 else 'ies'}: {ids}")
        self._schedule_sync()

    def _schedule_sync(self) -> None:
        """After fast appends, bring every other view (stats, checks) up to date once things settle."""
        if not self.lifecycle.arm_sync():
            return

        def sync() -> None:
            self.lifecycle.sync_due()
            self.load_snapshot(LoadReason.SYNC)

        self.set_timer(0.4, sync)

    def note(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.notes.append(f"{stamp} {text}")
        del self.notes[:-50]
        if self.main_screen:
            from textual.markup import escape

            self.main_screen.status(f"[$text-muted]{stamp}[/] {escape(text)}")

    # -- writing: proposed tasks, fixes, init -----------------------------------------------------------

    @on(ProposedEditRequested)
    def _proposed_edit(self, message: ProposedEditRequested) -> None:
        self._edit_proposed(message.number, message.action, message.expect_text, message.task_id)

    @work(thread=True, group="write", exit_on_error=False)
    def _edit_proposed(self, number: int, action: ProposedAction, expect_text: str, task_id: str | None) -> None:
        """The core's checklist use-cases, as the CLI and MCP call them (they refuse a stale or done item alike)."""
        from techcat_core.usecases import proposed_items as items
        from techcat_core.usecases.errors import UseCaseError

        assert self.codex_dir is not None
        try:
            if action == "tick":
                item = items.tick(self.codex_dir, number, task_id, expect_text)
            else:
                item = {"queue": items.queue, "unqueue": items.unqueue, "reopen": items.reopen}[action](
                    self.codex_dir, number, expect_text)
        except UseCaseError as error:
            self.post_message(WriteFailed(f"PROPOSED-TASKS.md: {error}", "error", LoadReason.PROPOSED))
            return
        except OSError as error:
            self.post_message(WriteFailed(f"Cannot write PROPOSED-TASKS.md: {error}", "error"))
            return
        verb = {"queue": "queued", "unqueue": "unqueued", "reopen": "reopened", "tick": "ticked"}[action]
        self.post_message(WriteFinished([self.codex_dir / PROPOSED], f"Item {number} {verb}: {item.title}"))

    @on(ProposedAddRequested)
    def _proposed_add(self, message: ProposedAddRequested) -> None:
        self._add_proposed(message.title, message.agent)

    @work(thread=True, group="write", exit_on_error=False)
    def _add_proposed(self, title: str, agent: str | None) -> None:
        from techcat_core.usecases.errors import UseCaseError
        from techcat_core.usecases.proposed_items import propose

        assert self.codex_dir is not None
        try:
            item = propose(self.codex_dir, title, agent)
        except (UseCaseError, OSError) as error:
            self.post_message(WriteFailed(f"PROPOSED-TASKS.md: {error}", "error"))
            return
        self.post_message(WriteFinished([self.codex_dir / PROPOSED], f"Added item {item.number}: {item.title}"))

    def on_write_finished(self, message: WriteFinished) -> None:
        self._after_write(message.paths, message.text)

    def on_write_failed(self, message: WriteFailed) -> None:
        self.notify(message.text, severity=message.severity)
        if message.reload is not None:
            self.load_snapshot(message.reload)

    def _after_write(self, paths: list[Path], text: str) -> None:
        self.record_own_write(paths)
        self.note(text)
        self.notify(text, timeout=3)
        self.load_snapshot(LoadReason.OWN_WRITE)

    @on(FixRequested)
    def _fix(self, message: FixRequested) -> None:
        if self.check_result is None:
            return
        fix = message.diagnostic.fixes[message.fix_index]
        self._write_fix(message.diagnostic.code, fix, self.check_result.workspace.texts)

    @work(thread=True, group="write", exit_on_error=False, description="write a fix")
    def _write_fix(self, code: str, fix: Fix, checked_texts: dict[Path, str]) -> None:
        """Off the main thread: the core's writer waits (up to 30 s) for the task-log lock another
        process may hold. The description keeps the worker from holding the repr of every file."""
        from techcat_tui.fixing import FixNotApplied, apply_one_fix

        try:
            written = apply_one_fix(fix, checked_texts)
        except FixNotApplied as problem:
            self.post_message(WriteFailed(f"{code}: {problem}", "warning", LoadReason.STALE_FIX))
            return
        self.post_message(WriteFinished(written, f"Fixed {code}: {fix.title}"))

    def action_init_missing(self) -> None:
        if self.codex_dir is None:
            return
        missing = [name for name in CORE_FILES if not (self.codex_dir / name).exists()]
        if not missing:
            self.notify("All five .codex/ files are there; nothing to create.")
            return
        from techcat_core.scaffold import init_workspace

        try:
            _, created, _ = init_workspace(self.codex_dir.parent)
        except OSError as error:
            self.notify(f"Cannot create the missing files: {error.strerror or error}", severity="error")
            return
        self._after_write([self.codex_dir / name for name in created], f"Created {', '.join(created)}")

    # -- jumping, editing, copying --------------------------------------------------------------------

    @on(JumpRequested)
    def _jump(self, message: JumpRequested) -> None:
        screen = self.main_screen
        if screen is None or self.check_result is None:
            return
        diagnostic = message.diagnostic
        ws = self.check_result.workspace
        line = diagnostic.range.start.line
        name = diagnostic.path.name if diagnostic.path.parent == ws.codex_dir else None
        if name == TASK_LOG and ws.task_log is not None:
            entry = ws.task_log.entry_at(ws.task_log.lines.offset(diagnostic.range.start))
            if entry is not None:
                screen.show_tab("log")
                screen.query_one(LogView).select_entry(entry.index)
                return
        elif name == PROPOSED:
            view = screen.query_one(ProposedView)
            items = [item for item in view.items if item.line <= line]
            if items:
                screen.show_tab("proposed")
                view.select_number(items[-1].number)
                return
        elif name == "AGENTS.md" or (ws.agents and any(a.source == diagnostic.path for a in ws.custom_agents)):
            view_agents = screen.query_one(AgentsView)
            target = next((a.name for a in ws.custom_agents if a.source == diagnostic.path), None)
            if (target and view_agents.select(target)) or view_agents.select_line(line):
                screen.show_tab("agents")
                return
        if screen.query_one(DocumentsView).open_path(diagnostic.path, line):
            screen.show_tab("docs")
            return
        self.post_message(EditRequested(diagnostic.path, line + 1))

    @on(EntryEditRequested)
    def _edit_entry(self, message: EntryEditRequested) -> None:
        if self.snapshot is None or self.codex_dir is None:
            return
        if not self.snapshot.exact:
            self.notify("Still reading the task log's line numbers; try again in a moment.")
            return
        log = self.snapshot.workspace.task_log
        line = None
        if log is not None and message.index < len(log.entries):
            line = log.lines.position(log.entries[message.index].start).line + 1
        self.post_message(EditRequested(self.codex_dir / TASK_LOG, line))

    @on(EditRequested)
    def _edit(self, message: EditRequested) -> None:
        from textual.app import SuspendNotSupported

        from techcat_tui.editor import editor_command

        command = editor_command(message.path, message.line, self.tui_config.editor)
        where = f"{message.path}{':' + str(message.line) if message.line else ''}"
        try:
            with self.suspend():
                completed = subprocess.run(command, check=False)
        except SuspendNotSupported:
            self.notify(f"This terminal (or the browser) cannot hand over to an editor; open {where} yourself.",
                        severity="warning", timeout=8)
            return
        except OSError as error:
            self.notify(f"Cannot start the editor `{command[0]}`: {error.strerror or error}. Set $EDITOR or "
                        "`editor` in tui.toml.", severity="error", timeout=8)
            return
        if completed.returncode != 0:
            self.notify(f"{command[0]} exited with status {completed.returncode}", severity="warning")
        self.load_snapshot(LoadReason.EDITED)

    @on(CopyRequested)
    def _copy(self, message: CopyRequested) -> None:
        from techcat_tui.clipboard import copy_with_command, osc52_likely
        from techcat_tui.screens.dialogs import CopyFallbackDialog

        method = self.tui_config.clipboard
        if method == "dialog":
            self.push_screen(CopyFallbackDialog(message.text, message.label))
            return
        routes = []
        if method in ("auto", "osc52"):
            self.copy_to_clipboard(message.text)
            routes.append("OSC 52")
        if method in ("auto", "command"):
            tool = copy_with_command(message.text)
            if tool:
                routes.append(tool)
        if not routes or (routes == ["OSC 52"] and not osc52_likely()):
            self.push_screen(CopyFallbackDialog(message.text, message.label))
            return
        self.notify(f"Copied {message.label} ({' + '.join(routes)})", timeout=2)

    # -- runs and commits -----------------------------------------------------------------------------

    @on(RunRequested)
    def _run_requested(self, message: RunRequested) -> None:
        self.open_run_dialog(message.agent, message.task, message.proposed_item)

    def open_run_dialog(self, agent: str | None, task: str, proposed_item: int | None) -> None:
        if self.snapshot is None or self.codex_dir is None:
            return
        from techcat_tui.screens.run_dialog import RunDialog, RunOptions
        from techcat_tui.screens.run_screen import RunScreen

        codex_dir = self.codex_dir

        def start(options: RunOptions | None) -> None:
            if options is not None:
                self.push_screen(RunScreen(codex_dir, options))

        self.push_screen(RunDialog(self.snapshot.workspace, agent, task, proposed_item), start)

    def on_run_completed(self, message: RunCompleted) -> None:
        self.last_run_entries = list(message.entries)
        if message.files or message.entries:
            assert self.codex_dir is not None
            self.last_run_files = [*message.files, self.codex_dir / TASK_LOG]
            if message.entries:
                self.pending_select = message.entries[-1].task_id
                self.note(f"run {message.outcome}: logged {self.pending_select}")
            if self.snapshot is not None and self.snapshot.log_state is not None:
                self._read_tail(self.codex_dir / TASK_LOG, self.snapshot.log_state, len(self.snapshot.rows))
            else:
                self.load_snapshot(LoadReason.RUN)
            if self.main_screen:
                self.main_screen.show_tab("log")
        self.refresh_git()

    def action_run_agent(self) -> None:
        self.open_run_dialog(None, "", None)

    @on(CommitRequested)
    def _commit_requested(self) -> None:
        self.open_commit_dialog()

    def open_commit_dialog(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        ws = snapshot.workspace
        if ws.git_root is None:
            self.notify("This workspace is not in a git repository; run `git init` first.", severity="warning")
            return
        from techcat_tui.screens.commit_dialog import CommitDialog

        run_files = [ws.relative(p) for p in self.last_run_files]
        changed = list(self.git_status.changed) if self.git_status else []
        files = list(dict.fromkeys([*run_files, *changed]))
        if not files:
            self.notify("Nothing to commit: .codex/ and the files the log names are unchanged.")
            return
        selected = set(run_files) if run_files else {f for f in changed if f.startswith(".codex/")} or set(files)
        entry = self.last_run_entries[-1] if self.last_run_entries else None
        message = f"{entry.task_id} ({entry.agent}): {entry.summary}" if entry else "Update .codex/ agent memory"
        root = ws.git_root

        def commit(result: tuple[list[str], str] | None) -> None:
            if result is not None:
                self._commit(root, *result)

        self.push_screen(CommitDialog(files, selected, message), commit)

    @work(thread=True, exclusive=True, group="commit", exit_on_error=False)
    def _commit(self, root: Path, files: list[str], message: str) -> None:
        from techcat_core.gitops import GitProblem, commit_paths

        try:
            sha = commit_paths(root, files, message)
        except GitProblem as error:
            self.post_message(CommitFailed(f"git commit failed: {error}"))
            return
        self.post_message(CommitFinished(sha, len(files), message))

    def on_commit_failed(self, message: CommitFailed) -> None:
        self.notify(message.problem, severity="error", timeout=10)

    def on_commit_finished(self, message: CommitFinished) -> None:
        self.notify(f"Committed {message.file_count} file(s) as {message.sha[:8]}", timeout=4)
        self.note(f"committed {message.sha[:8]}: {message.message}")
        self.last_run_files = []
        self.refresh_git()

    # -- navigation, help, themes, palette ------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        if self.main_screen is not None and self.screen is self.main_screen:
            self.main_screen.show_tab(tab)

    def action_quit_from_view(self) -> None:
        """`q` on the main screen; in a dialog it would throw away what is being chosen or typed."""
        if self.screen is self.main_screen:
            self.exit()

    def action_reload(self) -> None:
        if self.codex_dir is not None:
            self.load_snapshot(LoadReason.RELOAD)  # its toast comes once the files are read (`on_snapshot_loaded`)
            self.refresh_git()

    def action_cycle_theme(self) -> None:
        from techcat_tui.config import config_path
        from techcat_tui.paths import display_path

        themes = list(THEMES)
        current = themes.index(self.theme) if self.theme in themes else -1
        self.theme = themes[(current + 1) % len(themes)]
        problem = save_theme(self.theme)
        if problem:
            self.notify(f"Theme: {self.theme} ({problem})", severity="warning", timeout=6)
        else:
            self.notify(f"Theme: {self.theme}, saved in {display_path(config_path())}", timeout=4)

    def action_help(self) -> None:
        from techcat_tui.screens.help import HelpScreen
        from techcat_tui.widgets.runs_view import RunsView
        from techcat_tui.widgets.virtual_table import VirtualTable

        groups: list[tuple[str, list[BindingType]]] = [
            ("Everywhere", list(self.BINDINGS)), ("Task log", list(LogView.BINDINGS)),
            ("Tables", list(VirtualTable.BINDINGS)), ("Agents", list(AgentsView.BINDINGS)),
            ("Proposed tasks", list(ProposedView.BINDINGS)), ("Documents", list(DocumentsView.BINDINGS)),
            ("Problems", list(DiagnosticsView.BINDINGS)), ("Git", list(GitView.BINDINGS)),
            ("Runs", list(RunsView.BINDINGS)),
        ]
        self.push_screen(HelpScreen(groups, self.tui_config.keys))

    def key_for(self, binding_id: str, default: str | None = None) -> str:
        """The key a user presses for a binding, as the help screen shows it: remaps in tui.toml win.

        `default` is the binding's own key; without it, the app's binding of that id."""
        from techcat_tui.screens.help import key_label

        if default is None:
            default = next((b.key for b in self.BINDINGS if isinstance(b, Binding) and b.id == binding_id), "?")
        return key_label(self.tui_config.keys.get(binding_id, default))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        if main is None or screen is not main:
            return
        key = self.key_for
        for tab in TABS:
            yield SystemCommand(f"Go to {tab}", f"Show the {tab} view (key {key(f'tab.{tab}')})",
                                lambda tab=tab: main.show_tab(tab))
        yield SystemCommand("Run an agent", f"Open the run dialog ({key('app.run')})", self.action_run_agent)
        yield SystemCommand("Commit", "Commit the run's files or the changed .codex/ files", self.open_commit_dialog)
        yield SystemCommand("Reload", f"Read the workspace again ({key('app.reload')})", self.action_reload)
        yield SystemCommand("Check now", "Run every check again", self.request_check)
        yield SystemCommand("Cycle theme", f"dark → light → terminal colours ({key('app.theme')})",
                            self.action_cycle_theme)
        yield SystemCommand("Help", f"Every key and its id for remapping ({key('app.help')})",
                            self.action_help)
        yield SystemCommand("Create missing files", f"As `techcat init`: never overwrites ({key('app.init')})",
                            self.action_init_missing)
        view = main.active_view()
        for binding in getattr(view, "BINDINGS", []):
            if isinstance(binding, Binding):
                yield SystemCommand(f"{main.active_tab.capitalize()}: {binding.description}",
                                    f"key {key(binding.id or '', binding.key)}",
                                    lambda action=binding.action, view=view: self.call_later(view.run_action,
                                                                                             action))

    def on_resize(self, event: Resize) -> None:
        screen = self.main_screen
        if screen is not None:
            screen.set_class(event.size.width < NARROW, "-narrow")
            screen.set_class(event.size.height < 30, "-short")

