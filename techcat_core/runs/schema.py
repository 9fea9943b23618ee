"""The run history's schema, the same in SQLite and PostgreSQL, as numbered migrations.

A migration is applied once, in one transaction, and recorded in `techcat_schema`; a database at a
newer version than this TechCat knows is refused rather than written in a shape it does not know.
Types are the ones both databases read alike: times are fixed-width UTC text (see `reduce.utc_stamp`),
flags are 0/1 integers, lists are JSON text. A run id has 8 hex digits, which two runs of a large
team history may share, so the key is the record's own 32-digit id.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLE = "techcat_runs"
VERSION_TABLE = "techcat_schema"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    what: str
    statements: tuple[str, ...]


def _runs_table(name: str, outcomes: str) -> str:
    """The runs table's CREATE statement (migration 2 rebuilds it to allow one more outcome)."""
    return f"""CREATE TABLE {name} (
            record_id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            chain_id TEXT NOT NULL,
            parent_id TEXT,
            depth INTEGER NOT NULL DEFAULT 0,
            agent TEXT NOT NULL,
            executor TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_hash TEXT,
            task TEXT NOT NULL,
            started TEXT NOT NULL,
            duration_ms BIGINT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ({outcomes})),
            reason TEXT,
            prompt_tokens BIGINT,
            completion_tokens BIGINT,
            tokens_estimated INTEGER NOT NULL DEFAULT 0,
            cost DOUBLE PRECISION,
            files TEXT NOT NULL DEFAULT '[]',
            task_id TEXT,
            rating TEXT CHECK (rating IN ('good', 'bad')),
            note TEXT,
            rated_at TEXT,
            messages TEXT NOT NULL DEFAULT '[]',
            reply TEXT NOT NULL DEFAULT '',
            trimmed INTEGER NOT NULL DEFAULT 0
    )"""


_INDEXES = (f"CREATE INDEX {TABLE}_started ON {TABLE} (started)",
            f"CREATE INDEX {TABLE}_agent ON {TABLE} (agent, started)",
            f"CREATE INDEX {TABLE}_task ON {TABLE} (task_id)",
            f"CREATE INDEX {TABLE}_run ON {TABLE} (run_id)")

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "the runs table", (_runs_table(TABLE, "'done', 'failed', 'cancelled', 'dry-run'"), *_INDEXES)),
    # a run whose changes were discarded at review (issue 13 §4): a CHECK cannot be altered in SQLite, so the
    # table is rebuilt (the same columns in the same order, so the copy is one INSERT … SELECT)
    Migration(2, "the outcome 'discarded'", (
        _runs_table(f"{TABLE}_v2", "'done', 'failed', 'cancelled', 'dry-run', 'discarded'"),
        f"INSERT INTO {TABLE}_v2 SELECT * FROM {TABLE}",
        f"DROP TABLE {TABLE}",
        f"ALTER TABLE {TABLE}_v2 RENAME TO {TABLE}",
        *_INDEXES)),
)
LATEST = MIGRATIONS[-1].version

SUMMARY_COLUMNS = ("record_id", "run_id", "chain_id", "parent_id", "depth", "agent", "executor", "provider", "model",
                   "prompt_hash", "task", "started", "duration_ms", "outcome", "reason", "prompt_tokens",
                   "completion_tokens", "tokens_estimated", "cost", "files", "task_id", "rating", "note", "rated_at",
                   "trimmed")
ALL_COLUMNS = (*SUMMARY_COLUMNS, "messages", "reply")
