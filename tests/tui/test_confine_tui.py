"""The TUI surface of issue 11 §1: previews and documents never follow a link out, never block on a FIFO, and
stop at the read cap (Pilot on a real workspace)."""

from __future__ import annotations

import os
from pathlib import Path

from techcat_tui.previews import read_preview
from techcat_tui.widgets.documents_view import DocumentRef, read_document
from tests.tui.helpers import make_app, screen_text, wait_for, wait_ready
from tests.wsbuilder import entry, make_workspace

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


def _hostile_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    files = ["out/secret.txt", "pipe.txt", "huge.txt"]
    codex = make_workspace(repo, log=[entry(1), entry(2, output_files=files)])
    (repo / "out").symlink_to(outside, target_is_directory=True)
    os.mkfifo(repo / "pipe.txt")
    (repo / "huge.txt").write_text("line of a huge file\n" * 1_000_000)  # 20 MB
    return codex


async def test_the_detail_pane_refuses_links_out_fifos_and_caps_huge_files(tmp_path: Path) -> None:
    codex = _hostile_repo(tmp_path)
    app = make_app(codex)
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_ready(pilot, app)
        await wait_for(pilot, lambda: "not shown: the path is a FIFO" in screen_text(app), what="the FIFO preview")
        text = screen_text(app)
        assert "out/secret.txt  not shown: the path leads outside the repository through" in text
        assert SECRET not in text
        assert "huge.txt  1600+ lines" in text and "40 line of a huge file" in text  # the first lines, cut at the cap


def test_previews_and_documents_use_the_confinement_rule(tmp_path: Path) -> None:
    codex = _hostile_repo(tmp_path)
    repo = codex.parent
    assert read_preview(repo, "out/secret.txt").text is None
    assert read_preview(repo, ".git/config").note.startswith("not shown")
    huge = read_preview(repo, "huge.txt", limit=2048)
    assert huge.truncated and huge.note == "103+ lines"
    (codex / "PRD.md").unlink()
    (codex / "PRD.md").symlink_to(tmp_path / "outside" / "secret.txt")
    assert read_document(DocumentRef("PRD", codex / "PRD.md"), {}).text is None
    os.mkfifo(codex / "prompts.md")
    assert read_document(DocumentRef("x", codex / "prompts.md"), {}).text is None  # returns, does not block


async def test_the_app_starts_with_a_fifo_task_log_and_reports_it(tmp_path: Path) -> None:
    codex = make_workspace(tmp_path / "repo")
    (codex / "TASK-LOG.json").unlink()
    os.mkfifo(codex / "TASK-LOG.json")  # the quick first read and the exact load both blocked on it before
    app = make_app(codex)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        assert app.check_result is not None
        assert [d.message for d in app.check_result.diagnostics if d.code == "TC004"] == [
            ".codex/TASK-LOG.json is a FIFO (named pipe); it was not read (TechCat reads only regular files)"]


async def test_the_app_on_a_codex_linked_out_of_its_repository_reads_nothing_of_it(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    make_workspace(outside, log=[entry(1, summary=SECRET)], prd=f"# PRD\n\n{SECRET}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".git").mkdir()  # the repository the link sits in
    (repo / ".codex").symlink_to(outside / ".codex", target_is_directory=True)
    app = make_app(repo / ".codex")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app)
        assert app.check_result is not None
        assert [d.code for d in app.check_result.diagnostics] == ["TC004"]
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
            assert SECRET not in screen_text(app)
