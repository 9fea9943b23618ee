"""A real, throwaway PostgreSQL server for tests: initdb into a temporary folder, a private Unix socket and no
TCP port, started and stopped with pg_ctl (which waits until the server accepts connections).

The binaries come from Debian's packages (`./scripts/setup-postgres` installs them). PostgreSQL refuses to
run as root, so as root the server runs as the `postgres` user, in a folder it owns.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

SETUP_HINT = "run ./scripts/setup-postgres (it installs PostgreSQL from Debian's packages)"


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin folder; the test fails (it is never skipped) without one."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                        key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0])
    for folder in reversed(candidates):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    pytest.fail(f"PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): {SETUP_HINT}", pytrace=False)


@dataclass(frozen=True)
class PgServer:
    socket_dir: Path
    user: str
    data_dir: Path
    command_prefix: tuple[str, ...]
    binaries: Path

    def url(self, database: str) -> str:
        return f"postgresql:///{database}?host={self.socket_dir}&user={self.user}"

    def create_database(self) -> str:
        import psycopg

        name = f"techcat_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return name


@contextmanager
def postgres_server() -> Iterator[PgServer]:
    binaries = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="tcpg-"))  # short: a socket path must stay under ~100 bytes
    data = base / "data"
    prefix: list[str] = []
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(f"running as root, and there is no `postgres` user to run PostgreSQL as: {SETUP_HINT}",
                        pytrace=False)
        os.chown(base, account.pw_uid, account.pw_gid)
        prefix, user = ["runuser", "-u", "postgres", "--"], "postgres"

    def run(*args: str) -> None:
        result = subprocess.run([*prefix, *args], cwd=base, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            log = (base / "server.log").read_text(errors="replace") if (base / "server.log").exists() else ""
            raise AssertionError(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}{log}")

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8", "--locale=C",
            "--no-sync")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "120",
            "-o", f"-k {base} -c listen_addresses='' -c fsync=off", "start")
        try:
            yield PgServer(base, user, data, tuple(prefix), binaries)
        finally:
            run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


def restart(server: PgServer) -> None:
    """Stop and start the server again (pg_ctl waits for both), dropping every client connection."""
    command = [*server.command_prefix, str(server.binaries / "pg_ctl"), "-D", str(server.data_dir),
               "-l", str(server.socket_dir / "server.log"), "-m", "fast", "-w", "restart"]
    result = subprocess.run(command, cwd=server.socket_dir, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"pg_ctl restart failed: {result.stdout}{result.stderr}")
