"""The run history: every agent run's record (outcome, tokens, cost, files, messages and reply), kept in
SQLite under `.codex/.techcat/` by default or in a team's PostgreSQL, and read by every front end."""
