"""Suite-wide isolation: no test reads or writes the real home.

Every test session gets its own HOME and XDG directories (state, cache,
config, runtime) under a temporary directory, inherited by any subprocess a
test starts, and CHASSISCTL_* settings from the caller's shell are dropped.
Modules that need finer isolation still set their own per-test dirs.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_home():
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="chassisctl-test-home-") as home:
        for name in list(os.environ):
            if name.startswith("CHASSISCTL_"):
                del os.environ[name]
        os.environ["HOME"] = home
        for kind in ("STATE", "CACHE", "CONFIG", "DATA"):
            path = os.path.join(home, kind.lower())
            os.makedirs(path, exist_ok=True)
            os.environ[f"XDG_{kind}_HOME"] = path
        os.environ["RUNTIME_DIRECTORY"] = os.path.join(home, "run")
        try:
            yield home
        finally:
            os.environ.clear()
            os.environ.update(saved)


@pytest.fixture
def loopback6() -> Iterator[Callable[[], socket.socket]]:
    """A factory of UDP sockets bound to [::1] on free ports, closed after the test; the test
    skips where the host has no IPv6 loopback."""
    made: list[socket.socket] = []

    def bound() -> socket.socket:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        made.append(sock)
        try:
            sock.bind(("::1", 0))
        except OSError as exc:
            pytest.skip(f"no IPv6 loopback here: {exc}")
        return sock

    try:
        yield bound
    finally:
        for sock in made:
            sock.close()
