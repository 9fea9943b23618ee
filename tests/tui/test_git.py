"""The Git view on real repositories: what changed, and committing chosen files with a prefilled message."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, SelectionList

from techcat_tui.screens.commit_dialog import CommitDialog
from tests.gitutil import commit_all, git, init_repo
from tests.tui.helpers import make_app, screen_text, wait_for, wait_ready


async def test_git_view_lists_changes_and_commits_only_the_chosen_files(sample: Path) -> None:
    root = sample.parent
    init_repo(root)
    commit_all(root, "Pawprint so far")
    (sample / "PROPOSED-TASKS.md").write_text((sample / "PROPOSED-TASKS.md").read_text(encoding="utf-8") +
                                             "- [ ] @planner Plan the retro\n", encoding="utf-8")
    (root / "apps/web/src/App.tsx").write_text("// changed\n", encoding="utf-8")  # a file the log names
    (root / "unrelated.txt").write_text("not ours\n", encoding="utf-8")
    app = make_app(sample, git=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("6")
        await wait_for(pilot, lambda: ".codex/ changes (1)" in screen_text(app), what="the git status")
        text = screen_text(app)
        assert "Branch main" in text and "⎇ main" in text
        assert ".codex/PROPOSED-TASKS.md" in text
        assert "apps/web/src/App.tsx" in text
        assert "1 other changed file(s)" in text
        assert "Pawprint so far" in text
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommitDialog), what="the commit dialog")
        dialog = app.screen
        files = dialog.query_one("#commit-files", SelectionList)
        assert list(files.selected) == [".codex/PROPOSED-TASKS.md"]  # .codex/ changes are preselected
        assert dialog.query_one("#commit-message", Input).value == "Update .codex/ agent memory"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Update .codex/ agent memory" in git(root, "log", "-1", "--format=%s"),
                       what="the commit")
        assert git(root, "show", "--name-only", "--format=", "HEAD").split() == [".codex/PROPOSED-TASKS.md"]
        status = git(root, "status", "--porcelain")
        assert "apps/web/src/App.tsx" in status and "unrelated.txt" in status  # left alone
        await wait_for(pilot, lambda: ".codex/ changes (0)" in screen_text(app), what="the refreshed status")


async def test_git_view_explains_a_workspace_outside_git(sample: Path) -> None:
    app = make_app(sample, git=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot, app)
        await pilot.press("6")
        await wait_for(pilot, lambda: "is not in a git repository" in screen_text(app), what="the explanation")
        await pilot.press("c")
        await wait_for(pilot, lambda: any("run `git init` first" in str(n.message) for n in app._notifications),
                       what="the refusal to commit")
