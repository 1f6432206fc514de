"""The LLDP agent's state machine: remote-systems table, ageing, transmission, statistics.

Sans-I/O in the aioquic manner: the caller feeds received frames with
:meth:`Agent.receive` (port, bytes, ``now``), collects frames to send with
:meth:`Agent.frames_to_send`, sleeps until :meth:`Agent.get_timer` and calls
:meth:`Agent.handle_timer`; link changes come in as :meth:`Agent.add_port`,
:meth:`Agent.link_down`, :meth:`Agent.remove_port`.  Time is always an
argument and randomness (transmit jitter) an injected ``random.Random``, so
the tests drive it on a fake clock without sleeping.

Receive (IEEE 802.1AB-2016 §9.2.7, the rx state machine):

* the remote-systems table is kept per local port and keyed by MSAP
  (chassis id + port id, §6.5); several neighbours may share a port;
* an entry lives for the TTL its last LLDPDU carried and is aged out at
  that instant (``ttl-expired``, statsAgeoutsTotal);
* a TTL-0 (shutdown) LLDPDU deletes that MSAP on that port at once, and
  nothing else (``shutdown``; lldpd#221 and #348 deleted more);
* a full port (``max_neighbors``) makes room by dropping the entry closest
  to expiry (``too-many``, §9.2.7.7.3's tooManyNeighbors);
* a port whose link goes down or which goes away loses its entries
  (``port-down``);
* every departure is remembered, with its reason, in a short per-port log.

Transmit (§9.2.7.1, the tx timer state machine): every ``msgTxInterval``
(``tx_interval``) with TTL ``min(65535, msgTxInterval × msgTxHold + 1)``
(§9.2.5.22); ``txFastInit`` frames ``msgFastTx`` apart when a link comes
up or a new neighbour appears (fast start); at most ``txCreditMax`` frames
in a burst, one credit back per second; a local change is announced at
once.  Each port's schedule is jittered (every interval is drawn from
[0.9, 1.0] × the interval, and first frames are spread over a second) and
rounded up to a quarter-second grid (:attr:`Agent.TX_GRID`), so hundreds of
ports never transmit in lock step, yet the ports due close together go out
in one wake-up of the caller.  A shutdown LLDPDU goes out
on :meth:`Agent.shutdown`, on :meth:`Agent.remove_port` while the link is
up, and when a port's identity changes.

Statistics are the 802.1AB counters (§9.2.5, lldpStatsRxPortTable and
lldpStatsTxPortTable) per port, plus the reason of every discarded frame.
A frame byte-identical to the one its neighbour sent last only refreshes
the entry: that is almost every frame, and it is not decoded again.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable

from chassisctl.lldp import org
from chassisctl.lldp.discards import REASONS, DecodeError
from chassisctl.lldp.frame import build_frame, split_frame
from chassisctl.lldp.names import PORT_SUBTYPE_NUMBERS
from chassisctl.lldp.records import neighbor_record
from chassisctl.lldp.tlv import (
    Capabilities, ChassisId, Lldpdu, ManagementAddress, PortDescription, PortId, SystemDescription,
    SystemName, Ttl, decode_lldpdu, encode_lldpdu, shutdown_lldpdu)

#: Why a neighbour left the table.
DEPARTURES = ("ttl-expired", "shutdown", "port-down", "too-many")
#: An LLDPDU must fit an untagged 1500-byte frame (§8.1).
MAX_LLDPDU = 1500


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The agent's settings; ``[lldp]`` in chassisctl.toml maps onto these."""

    chassis_id: ChassisId
    system_name: str
    system_description: str
    tx_interval: int = 30        # msgTxInterval
    tx_hold: int = 4             # msgTxHold
    fast_tx: float = 1.0         # msgFastTx
    tx_fast_init: int = 4        # txFastInit
    tx_credit_max: int = 5       # txCreditMax
    max_neighbors: int = 32
    port_id_subtype: str = "ifname"
    capabilities: Capabilities = Capabilities(0x0094, 0x0080)  # bridge, router, station / station
    #: Addresses announced on every port; empty: each port's own (given to add_port).
    management_addresses: tuple[ManagementAddress, ...] = ()
    #: Further TLVs for every port (802.1 PVID and VLAN names, 802.3 maximum frame size …).
    extra_tlvs: tuple[Any, ...] = ()
    #: LLDP-MED network connectivity device: send MED TLVs on a port once an endpoint sent MED there.
    med: bool = False
    med_policies: tuple[org.NetworkPolicy, ...] = ()
    #: Fraction of the interval by which each transmission may come early.
    jitter: float = 0.1
    #: False: receive only (a passive capture); nothing is ever sent, not even a shutdown.
    transmit: bool = True
    #: Entries of the departure log kept (all ports together).
    departures_kept: int = 256

    @property
    def tx_ttl(self) -> int:
        return min(65535, self.tx_interval * self.tx_hold + 1)


# --- events -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NeighborAdded:
    port: str
    pdu: Lldpdu


@dataclass(frozen=True, slots=True)
class NeighborChanged:
    port: str
    pdu: Lldpdu


@dataclass(frozen=True, slots=True)
class NeighborRemoved:
    port: str
    pdu: Lldpdu
    reason: str


@dataclass(frozen=True, slots=True)
class FrameDiscarded:
    port: str
    reason: str
    message: str


# --- state --------------------------------------------------------------------------------

@dataclass(slots=True)
class PortStats:
    """802.1AB-2016 §9.2.5 statistics of one port (names as lldpcli shows them, snake case)."""

    frames_out: int = 0
    frames_in: int = 0
    frames_discarded: int = 0
    frames_in_errors: int = 0
    tlvs_discarded: int = 0
    tlvs_unrecognized: int = 0
    ageouts: int = 0
    inserts: int = 0
    deletes: int = 0
    drops_too_many: int = 0
    shutdowns_out: int = 0
    lldpdu_length_errors: int = 0
    discard_reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__ if name != "discard_reasons"}
        out["discard_reasons"] = {r: self.discard_reasons.get(r, 0) for r in REASONS if r != "not-lldp"}
        return out


@dataclass(slots=True)
class _Neighbor:
    pdu: Lldpdu
    raw: bytes
    first_seen: float
    last_seen: float
    expires: float
    source: bytes
    vlan: int | None


@dataclass(slots=True)
class _Port:
    name: str
    mac: bytes
    ifindex: int
    description: str | None
    management: tuple[ManagementAddress, ...]
    up: bool = True
    neighbors: dict[tuple, _Neighbor] = field(default_factory=dict)
    by_raw: dict[bytes, tuple] = field(default_factory=dict)
    stats: PortStats = field(default_factory=PortStats)
    next_tx: float = 0.0
    tx_fast: int = 0
    credit: float = 0.0
    credit_at: float = 0.0
    med_peer: bool = False
    sent_identity: tuple[ChassisId, PortId] | None = None
    #: Our encoded frame, kept until something in it changes.
    frame: bytes | None = None
    #: The earliest wake-up queued for this port (inf: none).
    wake: float = math.inf


class Agent:
    """One LLDP agent (nearest-bridge scope) over any number of ports."""

    def __init__(self, config: AgentConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        self._rng = rng or random.Random()
        self._ports: dict[str, _Port] = {}
        self._outbox: list[tuple[str, bytes]] = []
        self._events: list[Any] = []
        self.frames_not_lldp = 0
        self._departed: deque[tuple[str, float, str, _Neighbor]] = deque(maxlen=config.departures_kept)
        #: (when, seq, port name): a port to look at then.  Entries are never
        #: removed early; a visit that finds nothing due just reschedules.
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0

    # --- ports ------------------------------------------------------------------------------

    @property
    def ports(self) -> list[str]:
        return sorted(self._ports)

    def has_port(self, name: str) -> bool:
        return name in self._ports

    def port_up(self, name: str) -> bool:
        port = self._ports.get(name)
        return port is not None and port.up

    def add_port(self, name: str, mac: bytes, now: float, *, ifindex: int = 0,
                 description: str | None = None, management: Iterable[ManagementAddress] = ()) -> None:
        """A port whose link is up: start (or restart) with fast transmissions.

        Called again for a known port with a new MAC, name-derived id or
        description, it announces the change; if our identity on that port
        changed, the old identity's shutdown LLDPDU goes first.
        """
        port = self._ports.get(name)
        if port is None:
            port = self._ports[name] = _Port(name, mac, ifindex, description, tuple(management),
                                             credit=float(self.config.tx_credit_max), credit_at=now)
            self._fast_start(port, now, spread=True)
            self._schedule(port)
            return
        old = port.sent_identity
        before = (port.mac, port.ifindex, port.description, port.management)
        port.mac, port.ifindex, port.description, port.management = mac, ifindex, description, tuple(management)
        changed = before != (port.mac, port.ifindex, port.description, port.management)
        if changed:
            port.frame = None
        if old is not None and port.up and old != self._identity(port):
            self._send(port, now, shutdown_lldpdu(*old), shutdown=True)
            port.sent_identity = None
        if not port.up:
            port.up = True
            port.credit, port.credit_at = float(self.config.tx_credit_max), now
            self._fast_start(port, now, spread=True)
            self._schedule(port)
        elif changed:
            self.local_change(now, name)

    def link_down(self, name: str, now: float) -> None:
        """The link went down: nothing can be sent; the neighbours are gone (``port-down``)."""
        port = self._ports.get(name)
        if port is None or not port.up:
            return
        port.up = False
        port.sent_identity = None
        port.med_peer = False
        port.frame = None
        self._clear(port, now, "port-down")

    def remove_port(self, name: str, now: float, *, link_up: bool = True) -> None:
        """Stop LLDP on a port (unconfigured, or the interface is gone).

        While its link is still up the neighbours hear our shutdown LLDPDU.
        """
        port = self._ports.pop(name, None)
        if port is None:
            return
        if port.up and link_up and port.sent_identity is not None:
            self._send(port, now, shutdown_lldpdu(*port.sent_identity), shutdown=True)
        self._clear(port, now, "port-down")

    def local_change(self, now: float, name: str | None = None) -> None:
        """Something we announce changed: tell the neighbours now (credit permitting)."""
        for port in ([self._ports[name]] if name in self._ports else self._ports.values()):
            port.frame = None
            if port.up:
                port.next_tx = min(port.next_tx, now)
                self._schedule(port)

    def reconfigure(self, config: AgentConfig, now: float) -> None:
        """New settings: a changed chassis id sends shutdowns for the old identity first."""
        old = self.config
        self.config = config
        for port in self._ports.values():
            port.frame = None
            if port.up and port.sent_identity is not None and port.sent_identity != self._identity(port):
                self._send(port, now, shutdown_lldpdu(*port.sent_identity), shutdown=True)
                port.sent_identity = None
        if old != config:
            self.local_change(now)

    def shutdown(self, now: float) -> list[tuple[str, bytes]]:
        """Graceful stop: the shutdown LLDPDU on every port that announced us (§9.2.7.7.1)."""
        for port in self._ports.values():
            if port.up and port.sent_identity is not None:
                self._send(port, now, shutdown_lldpdu(*port.sent_identity), shutdown=True)
                port.sent_identity = None
            port.up = False
        return self.frames_to_send(now)

    # --- receive ----------------------------------------------------------------------------

    def receive(self, name: str, frame: bytes, now: float) -> None:
        """One frame from port ``name``, as the socket delivered it (Ethernet header included)."""
        port = self._ports.get(name)
        if port is None or not port.up:
            return
        stats = port.stats
        try:
            eth = split_frame(frame)
        except DecodeError as exc:
            if exc.reason == "not-lldp":
                self.frames_not_lldp += 1
                return
            stats.frames_in += 1
            self._discard(port, exc)
            return
        stats.frames_in += 1
        raw = eth.payload
        key = port.by_raw.get(raw)
        if key is not None:  # the same LLDPDU as last time: a refresh, nothing to decode
            known = port.neighbors[key]
            known.last_seen = now
            known.expires = now + known.pdu.ttl
            stats.tlvs_unrecognized += known.pdu.unrecognized
            stats.tlvs_discarded += len(known.pdu.discarded)
            return
        try:
            pdu = decode_lldpdu(raw)
        except DecodeError as exc:
            self._discard(port, exc)
            return
        stats.tlvs_discarded += len(pdu.discarded)
        stats.tlvs_unrecognized += pdu.unrecognized
        msap = pdu.msap
        entry = port.neighbors.get(msap)
        if pdu.ttl == 0:
            if entry is not None:
                stats.deletes += 1
                self._remove(port, msap, now, "shutdown")
            return
        fresh = entry is None
        if entry is None:
            if len(port.neighbors) >= self.config.max_neighbors:
                victim = min(port.neighbors, key=lambda k: port.neighbors[k].expires)
                stats.drops_too_many += 1
                self._remove(port, victim, now, "too-many")
            port.neighbors[msap] = _Neighbor(pdu, raw, now, now, now + pdu.ttl, eth.src, eth.vlan)
            port.by_raw[raw] = msap
            stats.inserts += 1
            self._events.append(NeighborAdded(port.name, pdu))
            if port.tx_fast == 0:  # a new neighbour learns about us quickly (§9.2.7.7.2 newNeighbor)
                port.tx_fast = self.config.tx_fast_init
                port.next_tx = min(port.next_tx, now)
        else:
            port.by_raw.pop(entry.raw, None)
            entry.pdu, entry.raw, entry.last_seen, entry.expires = pdu, raw, now, now + pdu.ttl
            entry.source, entry.vlan = eth.src, eth.vlan
            port.by_raw[raw] = msap
            self._events.append(NeighborChanged(port.name, pdu))
        if self.config.med and not port.med_peer and pdu.first(org.MedCapabilities) is not None:
            port.med_peer = True  # TIA-1057 §11.2.1: answer an endpoint's MED at once
            port.frame = None
            port.tx_fast = max(port.tx_fast, self.config.tx_fast_init)
            port.next_tx = min(port.next_tx, now)
        if fresh or port.next_tx <= now:
            self._schedule(port)

    def _discard(self, port: _Port, exc: DecodeError) -> None:
        stats = port.stats
        stats.frames_discarded += 1
        stats.frames_in_errors += 1
        stats.discard_reasons[exc.reason] = stats.discard_reasons.get(exc.reason, 0) + 1
        self._events.append(FrameDiscarded(port.name, exc.reason, exc.message))

    def _remove(self, port: _Port, msap: tuple, now: float, reason: str) -> None:
        entry = port.neighbors.pop(msap)
        port.by_raw.pop(entry.raw, None)
        self._departed.append((port.name, now, reason, entry))
        self._events.append(NeighborRemoved(port.name, entry.pdu, reason))

    def _clear(self, port: _Port, now: float, reason: str) -> None:
        for msap in list(port.neighbors):
            self._remove(port, msap, now, reason)

    # --- timers and transmit ------------------------------------------------------------------

    #: Transmission times are rounded up to this grid, so ports whose jittered
    #: schedules fall close together share one wake-up: in Python a wake-up
    #: costs ten times what the frames it sends do.  802.1AB's own transmit
    #: timer ticks once a second (§9.2.5.21 txTick); a quarter second still
    #: spreads the first frames of many ports over four instants a second,
    #: and a long interval's 10 % jitter over many more.
    TX_GRID = 0.25

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must run next (None: nothing scheduled)."""
        return self._heap[0][0] if self._heap else None

    def handle_timer(self, now: float) -> None:
        due: list[_Port] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, _, name = heapq.heappop(heap)
            port = self._ports.get(name)
            if port is None:
                continue
            if when >= port.wake:
                port.wake = math.inf
            if not due or due[-1] is not port:
                due.append(port)
        for port in due:
            self._visit(port, now)
            self._schedule(port)

    def _visit(self, port: _Port, now: float) -> None:
        expired = [k for k, e in port.neighbors.items() if e.expires <= now]
        for msap in expired:
            port.stats.ageouts += 1
            self._remove(port, msap, now, "ttl-expired")
        if not port.up or not self.config.transmit:
            return
        self._refill(port, now)
        if port.next_tx <= now and port.credit >= 1:
            if port.frame is None:
                port.frame = self._frame(port, self._lldpdu(port))
            self._transmit(port, now, port.frame, (self.config.chassis_id, self._identity(port)[1]))
            # The next one counts from when this one was due, not from the wake-up
            # that sent it a little later, or every interval would slip a grid step.
            base = port.next_tx if now - port.next_tx < self.TX_GRID else now
            if port.tx_fast > 0:
                port.tx_fast -= 1
            if port.tx_fast > 0:
                port.next_tx = self._grid(base + self.config.fast_tx)
            else:
                interval = self.config.tx_interval
                port.next_tx = self._grid(base + interval * (1.0 - self.config.jitter * self._rng.random()))

    def _grid(self, when: float) -> float:
        return math.ceil(when / self.TX_GRID - 1e-6) * self.TX_GRID

    def _earliest(self, port: _Port) -> float:
        when = math.inf
        if port.up and self.config.transmit:
            when = port.next_tx if port.credit >= 1 else max(port.next_tx, port.credit_at + 1.0 - port.credit)
        for entry in port.neighbors.values():
            if entry.expires < when:
                when = entry.expires
        return when

    def _schedule(self, port: _Port) -> None:
        when = self._earliest(port)
        if when < port.wake:
            port.wake = when
            self._seq += 1
            heapq.heappush(self._heap, (when, self._seq, port.name))

    def _refill(self, port: _Port, now: float) -> None:
        """Transmit credit comes back at one per second, up to txCreditMax (§9.2.5.17 txTick)."""
        if now > port.credit_at:
            port.credit = min(float(self.config.tx_credit_max), port.credit + (now - port.credit_at))
            port.credit_at = now

    def _fast_start(self, port: _Port, now: float, *, spread: bool) -> None:
        port.tx_fast = self.config.tx_fast_init
        port.next_tx = self._grid(now + (self._rng.random() * min(1.0, self.config.fast_tx) if spread else 0.0))

    def frames_to_send(self, now: float | None = None) -> list[tuple[str, bytes]]:
        """Frames queued since the last call, as (port, Ethernet frame)."""
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> Any:
        return self._events.pop(0) if self._events else None

    def events(self) -> list[Any]:
        out, self._events = self._events, []
        return out

    def _identity(self, port: _Port) -> tuple[ChassisId, PortId]:
        subtype = self.config.port_id_subtype
        if subtype == "mac":
            value = port.mac
        elif subtype == "local":
            value = str(port.ifindex).encode()
        else:
            value = port.name.encode()
        return self.config.chassis_id, PortId(PORT_SUBTYPE_NUMBERS[subtype], value)

    def _lldpdu(self, port: _Port) -> Lldpdu:
        cfg = self.config
        chassis, port_id = self._identity(port)
        tlvs: list[Any] = [chassis, port_id, Ttl(cfg.tx_ttl),
                           PortDescription(port.description or port.name),
                           SystemName(cfg.system_name), SystemDescription(cfg.system_description),
                           cfg.capabilities]
        tlvs += cfg.management_addresses or port.management
        tlvs += cfg.extra_tlvs
        if cfg.med and port.med_peer:
            tlvs.append(org.MedCapabilities(0x01 | (0x02 if cfg.med_policies else 0), 4))
            tlvs += cfg.med_policies
        return Lldpdu(tuple(tlvs))

    def _frame(self, port: _Port, pdu: Lldpdu) -> bytes:
        data = encode_lldpdu(pdu)
        if len(data) > MAX_LLDPDU:  # drop optional TLVs from the end until it fits (§8.1)
            port.stats.lldpdu_length_errors += 1
            tlvs = list(pdu.tlvs)
            while len(data) > MAX_LLDPDU and len(tlvs) > 3:
                tlvs.pop()
                data = encode_lldpdu(Lldpdu(tuple(tlvs)))
        return build_frame(port.mac, data)

    def _send(self, port: _Port, now: float, pdu: Lldpdu, *, shutdown: bool = False) -> None:
        if not self.config.transmit:
            return
        frame = self._frame(port, pdu)
        if shutdown:
            self._outbox.append((port.name, frame))
            port.stats.frames_out += 1
            port.stats.shutdowns_out += 1
        else:
            self._transmit(port, now, frame, (pdu.tlvs[0], pdu.tlvs[1]))

    def _transmit(self, port: _Port, now: float, frame: bytes, identity: tuple[ChassisId, PortId]) -> None:
        self._outbox.append((port.name, frame))
        port.stats.frames_out += 1
        port.sent_identity = identity
        self._refill(port, now)
        port.credit = max(0.0, port.credit - 1)

    # --- queries ------------------------------------------------------------------------------

    def neighbors(self, now: float, port: str | None = None) -> list[dict[str, Any]]:
        """One record per neighbour (:func:`chassisctl.lldp.records.neighbor_record`), by port."""
        out = []
        for name in sorted(self._ports):
            if port is not None and name != port:
                continue
            for entry in sorted(self._ports[name].neighbors.values(), key=lambda e: e.first_seen):
                out.append(neighbor_record(name, entry.pdu, age_s=now - entry.first_seen,
                                           expires_in_s=entry.expires - now, source_mac=entry.source,
                                           vlan=entry.vlan))
        return out

    def departed(self, now: float, port: str | None = None) -> list[dict[str, Any]]:
        """Recent departures, oldest first, each with its reason and how long ago."""
        out = []
        for name, when, reason, entry in self._departed:
            if port is None or name == port:
                record = neighbor_record(name, entry.pdu, age_s=None, expires_in_s=None,
                                         source_mac=entry.source, vlan=entry.vlan)
                out.append(record | {"reason": reason, "left_s_ago": round(now - when, 3),
                                     "seen_for_s": round(when - entry.first_seen, 3)})
        return out

    def statistics(self) -> dict[str, Any]:
        ports = {name: p.stats.to_dict() | {"up": p.up, "neighbors": len(p.neighbors)}
                 for name, p in sorted(self._ports.items())}
        totals: dict[str, int] = {}
        for stats in ports.values():
            for key, value in stats.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    totals[key] = totals.get(key, 0) + value
        return {"ports": ports, "totals": totals, "frames_not_lldp": self.frames_not_lldp}
