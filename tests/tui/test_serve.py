"""`techcat serve` without --host listens on 127.0.0.1 only: other machines cannot reach the app."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path

import pytest

PROC_TCP = Path("/proc/net/tcp")
LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """The addresses with a listening TCP socket on `port`, as the kernel lists them (IPv4 and IPv6)."""
    found: set[str] = set()
    for table, width in ((PROC_TCP, 8), (Path("/proc/net/tcp6"), 32)):
        if not table.exists():
            continue
        for line in table.read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            if width == 8:  # one little-endian 32-bit word
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four of them
                found.add(socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))))
    return found


def non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one (a UDP connect sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


@pytest.mark.skipif(not PROC_TCP.exists(), reason="needs Linux's /proc/net/tcp")
def test_serve_binds_only_the_loopback_address_by_default(served: tuple[str, Path]) -> None:
    url, _ = served
    port = int(url.rsplit(":", 1)[1].strip("/"))
    assert listening_addresses(port) == {"127.0.0.1"}
    with urllib.request.urlopen(url, timeout=10) as page:  # and it is the app
        assert page.status == 200 and "TechCat Studio" in page.read().decode("utf-8", errors="replace")
    other = non_loopback_address()
    if other is not None:
        with socket.socket() as probe:
            probe.settimeout(5)
            assert probe.connect_ex((other, port)) != 0, f"{other}:{port} accepted a connection"
