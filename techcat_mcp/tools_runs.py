"""The run history tool: `list_runs` reads what agents ran, how each ended, and what it cost."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from techcat_core.runs.history import HistoryError
from techcat_core.runs.query import QueryError, RunQuery, parse_outcome, parse_since
from techcat_core.runs.record import RunRecord
from techcat_core.runs.store import open_history
from techcat_mcp.locate import WorkspaceLocator
from techcat_mcp.replies import as_json
from techcat_mcp.toolspec import ToolSpec

DEFAULT_LIMIT = 20
MAX_LIMIT = 200
_LEFT_OUT = {"record_id", "prompt_hash", "executor", "depth", "rated_at", "trimmed"}  # what a model rarely needs


def compact(record: RunRecord) -> dict[str, Any]:
    """A record as a model reads it cheaply: no empty fields, the chain only when the run was not its root."""
    data = {k: v for k, v in record.summary().items() if k not in _LEFT_OUT and v not in (None, [], False)}
    if record.chain_id == record.run_id:
        del data["chain_id"]
    return data


def runs_tools(locator: WorkspaceLocator) -> list[ToolSpec]:
    def list_runs(agent: str | None = None, outcome: str | None = None, since: str | None = None,
                  limit: int = DEFAULT_LIMIT) -> str:
        """Agent runs, newest first, with tokens and cost. outcome: done|failed|cancelled|dry-run; since: 7d"""
        codex = locator.codex_dir()
        try:
            if not 1 <= limit <= MAX_LIMIT:
                raise QueryError(f"limit {limit} is not between 1 and {MAX_LIMIT}")
            query = RunQuery(agent=agent.strip() if agent and agent.strip() else None,
                             outcome=parse_outcome(outcome) if outcome and outcome.strip() else None,
                             since=parse_since(since) if since and since.strip() else None, limit=limit)
            records = open_history(codex).recent(query)
        except (HistoryError, QueryError) as error:
            raise ToolError(str(error)) from None
        return as_json({"runs": [compact(record) for record in records]})

    return [ToolSpec(list_runs)]
