"""Real Emacs (batch) with the eglot snippet from docs/editors.md: opening `.codex/TASK-LOG.json` must start
eglot with `techcat-lsp`. On Emacs 28 a .json file opens in `js-mode`, which the snippet once left out, so
nothing started for the task log (issue 15). eglot itself is stubbed: the test is about which buffers the
snippet hands to it and with which server program, not about eglot."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "editors.md"
DRIVER = r"""
(defvar eglot-server-programs nil)
(defvar techcat-ensured nil)
(defun eglot-ensure () (push (cons buffer-file-name major-mode) techcat-ensured))
(provide 'eglot)
(load (getenv "TECHCAT_SNIPPET") nil t)
(defun techcat-server-for (mode)
  (let ((found nil))
    (dolist (entry eglot-server-programs)
      (when (and (listp (car entry)) (memq mode (car entry))) (setq found (cdr entry))))
    found))
(dolist (file (split-string (getenv "TECHCAT_FILES") ":"))
  (with-current-buffer (find-file-noselect file)
    (princ (format "%s\t%s\t%s\t%s\n" file major-mode
                   (if (assoc file techcat-ensured) "ensured" "left")
                   (car (techcat-server-for major-mode))))))
"""


def snippet() -> str:
    section = DOCS.read_text(encoding="utf-8").split("## Emacs (eglot)", 1)[1]
    found = re.search(r"```elisp\n(.*?)```", section, re.DOTALL)
    assert found is not None, "docs/editors.md has no elisp snippet under Emacs (eglot)"
    return found.group(1)


@pytest.mark.slow
def test_the_eglot_snippet_starts_the_server_for_the_task_log(tmp_path: Path) -> None:
    emacs = shutil.which("emacs")
    if emacs is None:
        pytest.skip("Emacs is not installed (apt-get install emacs-nox)")
    codex = tmp_path / "repo" / ".codex"
    codex.mkdir(parents=True)
    log, other = codex / "TASK-LOG.json", tmp_path / "repo" / "package.json"
    log.write_text("[]\n", encoding="utf-8")
    other.write_text("{}\n", encoding="utf-8")
    (tmp_path / "snippet.el").write_text(snippet(), encoding="utf-8")
    (tmp_path / "driver.el").write_text(DRIVER, encoding="utf-8")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TECHCAT_SNIPPET": str(tmp_path / "snippet.el"),
           "TECHCAT_FILES": f"{log}:{other}"}
    proc = subprocess.run([emacs, "-Q", "--batch", "-l", str(tmp_path / "driver.el")], capture_output=True,
                          text=True, timeout=60, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {Path(line.split("\t")[0]).name: line.split("\t")[1:] for line in proc.stdout.splitlines()}
    mode, started, server = rows["TASK-LOG.json"]
    assert started == "ensured" and server == "techcat-lsp", (mode, rows)
    assert rows["package.json"][1] == "left"  # files outside .codex/ are not handed to eglot
