"""Arbitrary text and bytes as each workspace file: the engine reports, it never raises."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from techcat_core.engine import apply_fixes, check_path
from techcat_core.tasklog.parse import parse_task_log
from tests.wsbuilder import TODAY, make_workspace

FILES = ["TASK-LOG.json", "AGENTS.md", "PROPOSED-TASKS.md", "PRD.md", "ARCHITECTURE.md", "techcat.toml",
         "agents/custom.toml", "prompts/planner.md"]

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["task_id", "agent", "date", "summary", "output_files", "summery", "x"]), children,
        max_size=6),
    max_leaves=20,
)
contents = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400),
    json_like.map(lambda v: json.dumps(v, indent=2)),
    st.text(alphabet='[]{},:"\n task-_0123456789agentdsumryoufil\\', max_size=300),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), data=contents)
def test_engine_never_raises(name: str, data: bytes | str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        codex = make_workspace(Path(tmp))
        target = codex / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8", errors="surrogatepass")
        result = check_path(codex, today=TODAY, git=False)
        for diagnostic in result.diagnostics:  # every range lies inside its file
            assert diagnostic.range.start <= diagnostic.range.end or diagnostic.range.start.line == \
                diagnostic.range.end.line
            assert diagnostic.range.start.line >= 0 and diagnostic.range.start.character >= 0
        safe = [fix for d in result.diagnostics for fix in d.fixes[:1]]
        try:
            apply_fixes(safe, result.workspace.texts)
        except Exception as error:  # fixes may conflict, but only with FixConflict
            assert type(error).__name__ == "FixConflict"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parser_never_raises_and_offsets_are_in_bounds(text: str) -> None:
    log = parse_task_log(text, "TASK-LOG.json")
    for entry in log.entries:
        assert 0 <= entry.start < entry.end <= len(text)
        for span in log.all_spans(entry):
            assert entry.start <= span.key_start < span.value_end <= entry.end
    for problem in log.problems:
        assert 0 <= problem.start <= len(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_like, max_size=6))
def test_valid_json_arrays_parse_like_json(values: list[object]) -> None:
    text = json.dumps(values, indent=2)
    log = parse_task_log(text, "TASK-LOG.json")
    assert log.problems == []
    assert [e.value for e in log.entries] == json.loads(text)
