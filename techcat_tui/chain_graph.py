"""Drawing who hands work to whom: a small tree of chains from one agent, as lines of text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

BUILTIN = "task_logger"


def chain_lines(start: str, chains: Mapping[str, Sequence[str]], known: set[str], max_depth: int = 6) -> list[str]:
    """`start` and the agents it chains to, depth first; cycles and unknown agents are marked, not followed."""
    lines = [start]

    def walk(name: str, prefix: str, path: tuple[str, ...]) -> None:
        targets = list(dict.fromkeys(chains.get(name, ())))
        for number, target in enumerate(targets):
            last = number == len(targets) - 1
            branch = "└─▶ " if last else "├─▶ "
            if target in path:
                lines.append(f"{prefix}{branch}{target}  ↺ cycle")
                continue
            if target not in known and target != BUILTIN:
                lines.append(f"{prefix}{branch}{target}  ✗ not in the roster")
                continue
            if len(path) >= max_depth:
                lines.append(f"{prefix}{branch}{target}  …")
                continue
            lines.append(f"{prefix}{branch}{target}")
            walk(target, prefix + ("    " if last else "│   "), (*path, target))

    walk(start, "", (start,))
    return lines


def invoked_by(name: str, chains: Mapping[str, Sequence[str]]) -> list[str]:
    return sorted(source for source, targets in chains.items() if name in targets and source != name)
