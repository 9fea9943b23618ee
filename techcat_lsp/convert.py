"""Core diagnostics and fixes → lsprotocol types. The fix travels in the diagnostic's `data`."""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from techcat_core.diagnostics import Diagnostic, Fix, Severity
from techcat_lsp.analysis import Analysis
from techcat_lsp.encoding import Encoder

SOURCE = "techcat"
_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.INFO: lsp.DiagnosticSeverity.Information}


def uri(path: object) -> str:
    return from_fs_path(str(path)) or f"file://{path}"


def workspace_edit(fixes: list[Fix], analysis: Analysis, encoding: str) -> lsp.WorkspaceEdit:
    changes: dict[str, list[lsp.TextEdit]] = {}
    encoders: dict[object, Encoder] = {}
    for fix in fixes:
        for edit in fix.edits:
            if edit.path not in encoders:
                encoders[edit.path] = analysis.encoder(edit.path, encoding)
            encoder = encoders[edit.path]
            changes.setdefault(uri(edit.path), []).append(lsp.TextEdit(encoder.range(edit.range), edit.new_text))
    return lsp.WorkspaceEdit(changes=changes)


def fix_data(fix: Fix, analysis: Analysis, encoding: str) -> dict[str, Any]:
    edit = workspace_edit([fix], analysis, encoding)
    return {"title": fix.title, "safe": fix.safe,
            "edits": [{"uri": target, "range": _range_json(e.range), "newText": e.new_text}
                      for target, edits in (edit.changes or {}).items() for e in edits]}


def _range_json(rng: lsp.Range) -> dict[str, dict[str, int]]:
    return {"start": {"line": rng.start.line, "character": rng.start.character},
            "end": {"line": rng.end.line, "character": rng.end.character}}


def to_lsp(diagnostic: Diagnostic, encoder: Encoder, analysis: Analysis, encoding: str,
           version: int | None) -> lsp.Diagnostic:
    data: dict[str, Any] = {"version": version}
    if diagnostic.fixes:
        data["fixes"] = [fix_data(fix, analysis, encoding) for fix in diagnostic.fixes]
    return lsp.Diagnostic(
        range=encoder.range(diagnostic.range),
        message=diagnostic.message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        code_description=lsp.CodeDescription(href=diagnostic.doc_url),
        source=SOURCE,
        data=data,
    )


def edit_from_data(fix: dict[str, Any]) -> lsp.WorkspaceEdit | None:
    """The workspace edit a fix in a diagnostic's `data` describes, or None if `data` is not ours."""
    try:
        changes: dict[str, list[lsp.TextEdit]] = {}
        for edit in fix["edits"]:
            rng = edit["range"]
            changes.setdefault(str(edit["uri"]), []).append(lsp.TextEdit(
                lsp.Range(lsp.Position(int(rng["start"]["line"]), int(rng["start"]["character"])),
                          lsp.Position(int(rng["end"]["line"]), int(rng["end"]["character"]))),
                str(edit["newText"])))
        return lsp.WorkspaceEdit(changes=changes)
    except (KeyError, TypeError, ValueError):
        return None
