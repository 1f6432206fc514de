"""Per-interface relay counters: received, relayed, and dropped by reason.

ISC dhcrelay only logs; operators need to see *why* packets vanish (bad
checksum, untrusted option 82, unknown server, a full socket queue) per
interface.  A packet is counted on the interface it arrived on, so for
every interface ``received`` equals ``relayed`` plus the drops.  Notes are
counted separately: things worth knowing about a packet that was still
relayed (a reply lacking the option 82 the relay inserted, an option 82
left out because it would not fit).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class InterfaceCounters:
    received: int = 0
    relayed: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"received": self.received, "relayed": self.relayed, "dropped": dict(sorted(self.dropped.items())),
                "notes": dict(sorted(self.notes.items()))}


class Counters:
    """Counters of one relay instance, by interface name."""

    __slots__ = ("_by_name", "by_name")

    def __init__(self) -> None:
        self._by_name: dict[str, InterfaceCounters] = {}
        #: The same entries, for the relays' fast paths: ``by_name.get(name) or of(name)`` saves a
        #: call per packet once the interface has counted one.  Not to be changed from outside.
        self.by_name = self._by_name

    def of(self, ifname: str) -> InterfaceCounters:
        entry = self._by_name.get(ifname)
        if entry is None:
            entry = self._by_name[ifname] = InterfaceCounters()
        return entry

    def drop(self, ifname: str, reason: str, n: int = 1) -> None:
        dropped = self.of(ifname).dropped
        dropped[reason] = dropped.get(reason, 0) + n

    def note(self, ifname: str, reason: str, n: int = 1) -> None:
        notes = self.of(ifname).notes
        notes[reason] = notes.get(reason, 0) + n

    def snapshot(self) -> dict[str, dict]:
        return {name: c.as_dict() for name, c in sorted(self._by_name.items())}

    def totals(self) -> dict[str, int]:
        received = sum(c.received for c in self._by_name.values())
        relayed = sum(c.relayed for c in self._by_name.values())
        dropped = sum(sum(c.dropped.values()) for c in self._by_name.values())
        return {"received": received, "relayed": relayed, "dropped": dropped}
