"""`Executor: claude`: Anthropic's Claude Code, run headless as `claude -p`, the prompt on standard input.

Claude Code speaks Anthropic's Messages API, not the OpenAI-compatible one TechCat's provider settings describe,
so it keeps its own provider settings from the environment as it expects them (ANTHROPIC_API_KEY,
ANTHROPIC_BASE_URL, or its own login); TechCat passes the model only when it names a Claude model (a roster's
`Model: claude-sonnet-4-5`, or the aliases `sonnet`, `opus`, `haiku`), else Claude Code uses its default.
Permissions: `acceptEdits` by default (it edits files unattended; shell commands it would need to ask for are
refused, as nobody is there to answer); TECHCAT_CLAUDE_PERMISSION_MODE chooses another mode.
"""

from __future__ import annotations

from techcat_core.executors.base import ExecutorJob, ExecutorKind, register
from techcat_core.executors.process import ExecutorFailed
from techcat_core.executors.text import valid_text

PERMISSION_VAR = "TECHCAT_CLAUDE_PERMISSION_MODE"
PERMISSION_MODES = ("acceptEdits", "bypassPermissions", "default", "plan")
DEFAULT_PERMISSION_MODE = "acceptEdits"
_ALIASES = ("sonnet", "opus", "haiku")


class ClaudeExecutor(ExecutorKind):
    name = "claude"
    program = "claude"
    binary_variable = "TECHCAT_CLAUDE"
    install_hint = "install Claude Code with `npm install -g @anthropic-ai/claude-code` (or name the executable " \
                   "in TECHCAT_CLAUDE)"

    def argv(self, job: ExecutorJob) -> list[str]:
        mode = job.env.get(PERMISSION_VAR, "").strip() or DEFAULT_PERMISSION_MODE
        if mode not in PERMISSION_MODES:
            raise ExecutorFailed(f"{PERMISSION_VAR}={mode!r} is not a Claude Code permission mode: use one of "
                                 f"{', '.join(PERMISSION_MODES)}")
        argv = [self.binary(job.env) or self.program, "-p", "--output-format", "text", "--permission-mode", mode]
        if is_claude_model(job.model):
            argv += ["--model", valid_text(job.model)]
        return argv

    def env(self, job: ExecutorJob) -> dict[str, str]:
        return {"NO_COLOR": "1"}

    def stdin(self, job: ExecutorJob) -> bytes:
        return valid_text(job.prompt_text).encode("utf-8")


def is_claude_model(model: str) -> bool:
    name = model.strip().lower()
    return name.startswith("claude") or name in _ALIASES


CLAUDE = register(ClaudeExecutor())
