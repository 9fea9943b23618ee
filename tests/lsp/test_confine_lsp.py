"""The language-server surface of issue 11 §1: hover and go-to on a path that is a symlink out, a FIFO, a huge
file or inside .git/ answer at once and read nothing they may not (the real `techcat lsp` over stdio)."""

from __future__ import annotations

import asyncio
import os

from lsprotocol import types as lsp

from tests.lsp.helpers import Session

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


async def _hover(session: Session, target: str, needle: str) -> str:
    result = await asyncio.wait_for(session.client.text_document_hover_async(lsp.HoverParams(
        lsp.TextDocumentIdentifier(target), session.at(target, needle, shift=1))), 20)
    assert result is not None and isinstance(result.contents, lsp.MarkupContent)
    return result.contents.value


async def test_hover_and_definition_refuse_fifos_links_out_git_and_cap_huge_files(session: Session) -> None:
    root = session.root
    (root.parent / "secret.txt").write_text(SECRET + "\n")
    (root / "apps/web/out").symlink_to(root.parent, target_is_directory=True)
    os.mkfifo(root / "apps/web/pipe.tsx")
    (root / "apps/web/huge.tsx").write_text("export const line = 1;\n" * 500_000)  # 11 MB
    log = session.open(session.codex / "TASK-LOG.json")
    session.replace(log, '"apps/web/gone.tsx"', '"apps/web/pipe.tsx", "apps/web/out/secret.txt", '
                                               '"apps/web/huge.tsx", ".GIT/config", ".git/config"')
    fifo = await _hover(session, log, '"apps/web/pipe.tsx"')  # blocked the server for good before
    assert fifo == ("`apps/web/pipe.tsx` is not previewed: the path is a FIFO (named pipe) (TechCat reads only "
                    "regular files inside the repository, outside .git/).")
    link = await _hover(session, log, '"apps/web/out/secret.txt"')
    assert SECRET not in link and "leads outside the repository through a symbolic link" in link
    for needle in ('".GIT/config"', '".git/config"'):
        inside_git = await _hover(session, log, needle)
        assert "lies inside .git/" in inside_git and "[core]" not in inside_git
    huge = await _hover(session, log, '"apps/web/huge.tsx"')
    assert huge.startswith("`apps/web/huge.tsx`\n\n```tsx\nexport const line = 1;") and huge.endswith("…")
    assert len(huge) < 2_000
    for needle in ('"apps/web/out/secret.txt"', '".git/config"'):
        found = await asyncio.wait_for(session.client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(log), session.at(log, needle, shift=1))), 20)
        assert found == []
    # the server is still answering
    assert "Task Forecaster" in await _hover(session, log, '"planner"')
