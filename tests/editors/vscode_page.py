"""Reading VS Code's workbench (in code-server) the way a person looks at it: status bar, squiggles, hovers, panel."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

T = TypeVar("T")


def poll(what: str, read: Callable[[], T | None], timeout: float = 60.0, interval: float = 0.25) -> T:
    """Read until `read` gives a value (not None), or fail saying what never showed up."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = read()
        if last is not None:
            return last
        time.sleep(interval)
    raise AssertionError(f"VS Code never showed {what} within {timeout:.0f} s")


def open_file(page: Page, name: str) -> None:
    """Quick Open (Ctrl+P), type the name, Enter; wait for its editor tab."""
    page.locator(".monaco-workbench").wait_for(timeout=90_000)
    page.keyboard.press("Control+P")
    page.locator(".quick-input-widget input").wait_for(timeout=30_000)
    page.keyboard.type(name)
    poll(f"{name} in Quick Open", lambda: True if page.locator(".quick-input-list .monaco-list-row").count() else None)
    page.keyboard.press("Enter")
    page.locator(f'.tab[aria-label*="{name}"]').first.wait_for(timeout=30_000)
    page.locator(".monaco-editor .view-lines").first.wait_for(timeout=30_000)


@dataclass(frozen=True)
class ProblemCounts:
    errors: int
    warnings: int


def problem_counts(page: Page) -> ProblemCounts | None:
    """The Problems item of the status bar ("Errors: 2, Warnings: 4"); None before it shows any."""
    item = page.locator('[id="status.problems"]')
    if not item.count():
        return None
    label = item.first.get_attribute("aria-label") or ""
    errors, warnings = re.search(r"Errors: (\d+)", label), re.search(r"Warnings: (\d+)", label)
    if not errors or not warnings:
        return None
    return ProblemCounts(int(errors.group(1)), int(warnings.group(1)))


def token(page: Page, text: str) -> Locator:
    """The rendered span of a token, e.g. the JSON string `"planner"` as Monaco draws it."""
    return page.locator(".monaco-editor .view-lines span", has_text=text).last


def squiggle_under(page: Page, text: str, kind: str = "error") -> bool:
    """Whether a squiggle of this kind is drawn across the token `text`."""
    box = token(page, text).bounding_box()
    if box is None:
        return False
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for squiggle in page.locator(f".monaco-editor .squiggly-{kind}").all():
        sq = squiggle.bounding_box()
        if sq and sq["x"] <= middle_x <= sq["x"] + sq["width"] and sq["y"] <= middle_y <= sq["y"] + sq["height"]:
            return True
    return False


def hover_text(page: Page, text: str, expect: str, timeout: float = 30.0) -> str:
    """Rest the mouse on a token and read the hover VS Code shows, until it contains `expect`. The mouse is
    moved away and back now and then: a hover closes when the lines under it move (a code lens arriving)."""
    deadline = time.monotonic() + timeout
    shown = ""
    try:
        while time.monotonic() < deadline:
            page.mouse.move(1, 1)
            token(page, text).hover()
            for _ in range(12):
                shown = "\n".join(h.inner_text() for h in page.locator(".monaco-hover").all() if h.is_visible())
                if expect in shown:
                    return shown
                time.sleep(0.25)
    finally:
        page.mouse.move(1, 1)
    raise AssertionError(f"VS Code never showed a hover containing {expect!r} on {text} within {timeout:.0f} s; "
                         f"last shown: {shown!r}")


def code_lenses(page: Page) -> list[str]:
    """The code lenses drawn in the editor ("1 file", "▶ Run"), top to bottom."""
    return [lens.inner_text().strip() for lens in page.locator(".monaco-editor .codelens-decoration").all()]


@dataclass(frozen=True)
class Problem:
    message: str
    source: str
    code: str
    line: int  # 1-based, as VS Code prints it
    column: int  # 1-based UTF-16 column


ROW = re.compile(r"^(?P<message>.*?)\n(?:(?P<source>\S+)\n(?P<code>TC\d+)\n)?"
                 r"\[Ln (?P<line>\d+), Col (?P<col>\d+)\]$", re.S)


def problems_panel(page: Page) -> list[Problem]:
    """Open the Problems panel (Ctrl+Shift+M) and read its rows."""
    page.keyboard.press("Control+Shift+M")
    page.locator(".markers-panel .monaco-list-row").first.wait_for(timeout=30_000)
    problems = []
    for row in page.locator(".markers-panel .monaco-list-row").all():
        match = ROW.match(row.inner_text().strip())
        if match:
            problems.append(Problem(match["message"], match["source"] or "", match["code"] or "", int(match["line"]),
                                    int(match["col"])))
    return problems


def quick_fix_titles(page: Page, text: str, timeout: float = 30.0) -> list[str]:
    """Put the cursor on a token, press Ctrl+. and read the Quick Fix menu."""
    menu = page.locator(".action-widget .monaco-list-row")
    deadline = time.monotonic() + timeout
    while True:
        token(page, text).click()
        page.keyboard.press("Control+.")
        try:
            menu.first.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                raise AssertionError(f"VS Code showed no Quick Fix menu on {text} within {timeout:.0f} s") from None
            page.keyboard.press("Escape")
    titles = [row.inner_text().strip() for row in menu.all()]
    page.keyboard.press("Escape")
    return titles


def run_palette_command(page: Page, title: str, *answers: str) -> None:
    """F1, the command's title, Enter; then type each answer into the quick pick or input box that follows."""
    page.keyboard.press("Escape")
    page.keyboard.press("F1")
    box = page.locator(".quick-input-widget input")
    box.wait_for(timeout=30_000)
    page.keyboard.type(title)
    poll(f"{title!r} in the command palette",
         lambda: True if page.locator(".quick-input-list .monaco-list-row", has_text=title).count() else None)
    page.keyboard.press("Enter")
    for answer in answers:
        poll("the next question", lambda: True if box.is_visible() and box.input_value() == "" else None)
        page.keyboard.type(answer)
        poll(f"{answer!r} typed and, in a quick pick, its row chosen", lambda answer=answer: _answered(page, answer))
        page.keyboard.press("Enter")


def _answered(page: Page, answer: str) -> bool | None:
    """Whether Enter now gives `answer`: the box holds it, and a quick pick (one with a list) has filtered down
    to a focused row that shows it. An input box has no list: the typed text is the answer."""
    if page.locator(".quick-input-widget input").input_value() != answer:
        return None
    if not page.locator(".quick-input-widget .quick-input-list").is_visible():
        return True
    focused = page.locator(".quick-input-list .monaco-list-row.focused")
    return True if focused.count() and answer.lower() in focused.first.inner_text().lower() else None


def notification_containing(page: Page, text: str) -> str | None:
    """The text of a notification toast (or the notification centre) that contains `text`."""
    for toast in page.locator(".notifications-toasts .notification-toast, .notification-list-item").all():
        shown = toast.inner_text()
        if text in shown:
            return shown
    return None
