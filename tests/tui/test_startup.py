"""Start-up imports only what the first screen needs: no git, no openai, no language server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.gitutil import GIT_ENV, commit_all, init_repo

HEAVY = ("git", "openai", "pygls", "lsprotocol", "techcat_lsp", "techcat_mcp", "mcp", "techcat_core.runtime.runner")

PROBE = """
import asyncio, json, sys
from pathlib import Path
from techcat_tui.app import TechcatApp
from techcat_tui.config import TuiConfig
from techcat_tui.messages import ChecksFinished, FirstScreenShown

HEAVY = {heavy!r}
seen = {{}}

def hook(message):
    if isinstance(message, FirstScreenShown) and "first" not in seen:
        seen["first"] = sorted(m for m in HEAVY if m in sys.modules)
        seen["seconds"] = message.seconds
    if isinstance(message, ChecksFinished):
        seen["after_check"] = sorted(m for m in HEAVY if m in sys.modules)

async def main():
    app = TechcatApp(Path(sys.argv[1]), config=TuiConfig(), watch=False, git=True)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        while "after_check" not in seen:
            await pilot.pause(0.05)
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_first_screen_imports_no_git_openai_or_language_server(sample: Path) -> None:
    init_repo(sample.parent)
    commit_all(sample.parent, "sample")
    result = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), str(sample)], capture_output=True,
                            text=True, timeout=120, env=GIT_ENV, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["first"] == [], f"imported before the first screen: {seen['first']}"
    assert "git" in seen["after_check"]  # the history checks do need git, later, in a worker
    assert seen["seconds"] < 5
