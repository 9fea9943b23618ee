"""The commands the server advertises (`workspace/executeCommand`) and their arguments.

Every command takes one JSON object. Editors may call them directly (Neovim user commands, the VS
Code extension's palette entries); code actions and code lenses carry them ready-made.

- `techcat.runAgent {"workspace", "agent", "task"?, "proposedItem"?}`: run an agent with progress.
  Without a task the server offers the agent's open proposals to choose from.
- `techcat.cancelRun {"runId"?}`: cancel one run, or every run in flight.
- `techcat.queueItem {"uri", "number"}`: mark a PROPOSED-TASKS item `[>]`.
- `techcat.logFromGit {"workspace", "agent"?, "summary"?}`: log the uncommitted changes as a task.
- `techcat.fixAll {"uri"}`: apply every safe fix in a document.
- `techcat.openFiles {"workspace", "files"}`: open an entry's output files in the editor.
- `techcat.addAgent {"workspace", "name", "role"?}`: add a roster section for an agent (a quick fix).

`workspace` is the `.codex/` folder or any file inside it, as a path or a `file:` URI.
"""

from __future__ import annotations

RUN_AGENT = "techcat.runAgent"
CANCEL_RUN = "techcat.cancelRun"
QUEUE_ITEM = "techcat.queueItem"
LOG_FROM_GIT = "techcat.logFromGit"
FIX_ALL = "techcat.fixAll"
OPEN_FILES = "techcat.openFiles"
ADD_AGENT = "techcat.addAgent"
