"""Start code-server (VS Code in a browser) with the packaged extension, on 127.0.0.1 in its own process group."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.editors.editor_env import CODE_SERVER, VSIX, require

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@dataclass(frozen=True)
class CodeServer:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, size: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-size:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def user_settings(server_command: list[str]) -> dict[str, object]:
    """A quiet, offline VS Code that starts the TechCat server from this environment."""
    return {
        "techcat.server.command": server_command,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoUpdate": False,
        "extensions.autoCheckUpdates": False,
        "extensions.ignoreRecommendations": True,
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "editor.hover.delay": 200,
        # Sticky scroll draws the enclosing lines over the top of the editor, where it swallows clicks on a token
        # that was scrolled to the first line (CI run of stop 21: `stickyLine10 ... intercepts pointer events`).
        "editor.stickyScroll.enabled": False,
        "git.enabled": False,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }


def install_extension(tmp: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """A fresh user data dir and extensions dir with the packaged .vsix installed, as a user would install it."""
    user_data, extensions = tmp / "user-data", tmp / "extensions"
    proc = subprocess.run([str(require(CODE_SERVER, "code-server")), "--user-data-dir", str(user_data),
                           "--extensions-dir", str(extensions), "--install-extension", str(require(VSIX, "the .vsix"))],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0 and "successfully installed" in proc.stdout, proc.stdout + proc.stderr
    return user_data, extensions


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"code-server exited with {process.returncode}: {log.read_text()[-3000:]}")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError), \
                urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise AssertionError(f"code-server did not answer on {url} within {timeout} s: {log.read_text()[-3000:]}")


def end_process_group(process: subprocess.Popen[bytes]) -> None:
    """End code-server and everything it started (extension host, language server) together."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def running_code_server(tmp: Path, folder: Path, server_command: list[str], settings: dict[str, object] | None = None,
                        env: dict[str, str] | None = None) -> Iterator[CodeServer]:
    """code-server on a free port of 127.0.0.1 with a fresh home, user data and extensions dir; `settings` are
    added to the user settings and `env` to its environment (which the language server inherits)."""
    home = tmp / "home"
    home.mkdir(parents=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CACHE_HOME": str(home / ".cache"), **(env or {})}
    user_data, extensions = install_extension(tmp, env)
    (user_data / "User").mkdir(parents=True, exist_ok=True)
    all_settings = {**user_settings(server_command), **(settings or {})}
    (user_data / "User" / "settings.json").write_text(json.dumps(all_settings, indent=2))
    port = free_port()
    log = tmp / "code-server.log"
    argv = [str(CODE_SERVER), "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-workspace-trust",
            "--reconnection-grace-time", "5", "--user-data-dir", str(user_data), "--extensions-dir", str(extensions),
            "--disable-telemetry", "--disable-update-check", "--config", str(tmp / "config.yaml"), str(folder)]
    with log.open("wb") as sink:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process, log)
        yield CodeServer(url, log, process)
    finally:
        end_process_group(process)
