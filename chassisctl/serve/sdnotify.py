"""systemd's notify protocol, spoken directly (``Type=notify`` units).

The protocol is a datagram of ``KEY=VALUE`` lines to ``$NOTIFY_SOCKET``
(a leading ``@`` means the abstract namespace); systemd documents it as a
stable interface, so twenty lines replace a libsystemd dependency.  Without
``NOTIFY_SOCKET`` every call is a no-op.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def notify(*lines: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``READY=1``, ``STATUS=...``, ``WATCHDOG=1``…; True if sent."""
    env = os.environ if env is None else env
    path = env.get("NOTIFY_SOCKET")
    if not path or not lines:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall("\n".join(lines).encode())
        return True
    except OSError:
        return False


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Half the configured watchdog period, in seconds (when it is for us)."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None
