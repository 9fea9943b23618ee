"""TC207 unknown-executor: a roster `- **Executor:**` line that names no executor TechCat can run.

The runner refuses such an agent only when it is run; the check says so where the line is written, with the
same sentence (`executors.parse_executor`). A valid kind whose program is missing on this machine (`codex`
not on PATH) is not reported: that is per machine, and the run says so.
"""

from __future__ import annotations

from techcat_core.diagnostics import Diagnostic
from techcat_core.workspace import Workspace


def executor_rules(ws: Workspace) -> list[Diagnostic]:
    """One TC207 for each agent whose `Executor:` value `parse_executor` refuses."""
    named = [(agent, agent.executor_range) for agent in ws.agents
             if agent.executor.strip() and agent.executor_range is not None]
    if not named:
        return []
    # the executors package loads asyncio and subprocess (~0.1 s): only when a roster names an executor
    from techcat_core.executors import ExecutorError, parse_executor

    out: list[Diagnostic] = []
    for agent, where in named:
        try:
            parse_executor(agent.executor)
        except ExecutorError as error:
            out.append(Diagnostic.of("TC207", str(error), agent.source, where))
    return out
