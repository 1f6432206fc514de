"""What a relay decision asks the I/O edge to do: send, deliver, or log a problem.

The relays return lists of these frozen values; the edge performs them.
Problems are rate-limited here, with the time passed in: one log line per
(interface, reason) per interval, carrying how many similar ones were not
logged, so a storm of bad packets is counted in full but never floods the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

# The three send actions are NamedTuples (immutable like the frozen dataclasses
# used elsewhere, but about half the cost to build): every relayed packet makes one.


class ToServer(NamedTuple):
    """Send ``payload`` by UDP to ``server`` (address text) port 67 / 547."""

    server: str
    payload: bytes


class ToClient(NamedTuple):
    """Send a whole Ethernet frame on ``ifname`` (DHCPv4 replies to clients)."""

    ifname: str
    frame: bytes


class ToPeer(NamedTuple):
    """Send ``payload`` by UDP to ``peer`` (link-local allowed) on ``ifname`` (DHCPv6)."""

    ifname: str
    peer: str
    port: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Problem:
    ifname: str
    reason: str
    detail: str
    #: Similar problems (same interface and reason) counted but not logged since the last line.
    suppressed: int = 0

    def __str__(self) -> str:
        more = f" ({self.suppressed} more since the last report)" if self.suppressed else ""
        return f"{self.ifname}: dropped, {self.reason.replace('_', ' ')}: {self.detail}{more}"


class ProblemLog:
    """Decides which problems become log lines: at most one per key per ``interval`` seconds."""

    __slots__ = ("interval", "_last")

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[tuple[str, str], list[float | int]] = {}

    def report(self, ifname: str, reason: str, detail: str, now: float) -> Problem | None:
        key = (ifname, reason)
        entry = self._last.get(key)
        if entry is None or now - entry[0] >= self.interval:
            suppressed = 0 if entry is None else int(entry[1])
            self._last[key] = [now, 0]
            return Problem(ifname, reason, detail, suppressed)
        entry[1] += 1
        return None
