"""The agent runtime: assemble prompts, call the model through the openai client, write, log, chain.

Public API (shared by the CLI, the TUI, the language server and the MCP server):
- `RunRequest`, `run_agent(codex_dir, request)` → async iterator of `events.RunEvent`
- `explain_run(codex_dir, request)` → the exact messages and how the context budget was spent
"""
