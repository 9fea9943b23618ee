"""Reading a repository file for a hover preview: only what the core's confinement rule allows
(techcat_core.confine: inside the repository, outside `.git/`, regular files), only the first lines."""

from __future__ import annotations

from pathlib import Path

from techcat_core.confine import DEFAULT_MAX_READ_BYTES, Refused, read_bounded, readable

MAX_BYTES = 64 * 1024
MAX_LINES = 20
LANGUAGES = {
    ".py": "python", ".ts": "typescript", ".tsx": "tsx", ".js": "javascript", ".jsx": "jsx", ".json": "json",
    ".md": "markdown", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".css": "css", ".scss": "scss",
    ".html": "html", ".sql": "sql", ".sh": "bash", ".rs": "rust", ".go": "go", ".java": "java", ".kt": "kotlin",
    ".rb": "ruby", ".php": "php", ".c": "c", ".h": "c", ".cpp": "cpp", ".cs": "csharp", ".swift": "swift",
    ".lua": "lua", ".prisma": "prisma", ".dockerfile": "dockerfile", ".xml": "xml", ".ini": "ini",
}


def inside(root: Path, relative: str) -> Path | None:
    """The file `relative` names under `root`, or None if it is absolute, escapes, links outside or is in .git/."""
    try:
        return readable(root, relative)
    except Refused:
        return None


def language_of(path: Path) -> str:
    if path.name == "Dockerfile":
        return "dockerfile"
    return LANGUAGES.get(path.suffix.lower(), "")


def preview(root: Path, relative: str, limit: int = DEFAULT_MAX_READ_BYTES) -> str:
    """Markdown: the file's first lines in a fenced block in its language, or why there is none."""
    try:
        target = readable(root, relative)
        if target.is_dir():
            names = sorted(p.name + ("/" if p.is_dir() else "") for p in target.iterdir())[:MAX_LINES]
            return f"`{relative}` is a folder:\n\n" + "\n".join(f"- `{n}`" for n in names)
        read = read_bounded(root, relative, min(MAX_BYTES, limit))
    except Refused as error:
        return (f"`{relative}` is not previewed: the path {error.reason} (TechCat reads only regular files inside "
                "the repository, outside .git/).")
    except FileNotFoundError:
        return f"`{relative}` does not exist in the repository (moved or deleted since it was logged)."
    except OSError as error:
        return f"`{relative}` cannot be read: {error.strerror or error}."
    data = read.data
    if b"\0" in data:
        return f"`{relative}` is a binary file."
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    shown = "\n".join(lines[:MAX_LINES])
    fence = "```"
    while fence in shown:
        fence += "`"
    more = "\n\n…" if len(lines) > MAX_LINES or read.truncated else ""
    return f"`{relative}`\n\n{fence}{language_of(target)}\n{shown}\n{fence}{more}"
