"""The LLDP agent as a ``serve`` service: sockets, link events and the control queries.

:func:`build` is what ``serve`` calls when the config has ``[lldp]``.  The
protocol lives in :class:`chassisctl.lldp.agent.Agent`; this module only
moves bytes and time in and out of it:

* one AF_PACKET socket per port (:mod:`chassisctl.net.packet`: BPF filter
  for ethertype 0x88CC, membership of 01-80-C2-00-00-0E, TC_PRIO_CONTROL),
  all of them in one :class:`~chassisctl.net.readyset.ReadySet`;
* one loop timer, and one wake-up per grid step however many ports: a
  wake-up (the interpreter and the scheduler, ~50-100 µs) costs far more
  than the frames it handles (a few µs each), so every wake-up reads every
  frame that has come and sends every frame that is due.  While frames
  keep coming or a transmission is near, the loop does not watch the
  sockets at all: it wakes on the agent's transmit grid (or at the latest
  :data:`RX_POLL` later) and drains them then.  Once a pass finds nothing
  and no transmission is near, it watches the ready set again, so a lone
  frame on a quiet agent is read at once.  A frame therefore waits at most
  :data:`RX_POLL` (0.25 s; LLDP's own timers tick once a second,
  IEEE 802.1AB-2016 §9.2.5.21): at 64 ports with a frame in and one out
  per port per second, that is ~4 wake-ups a second instead of ~80;
* netlink link and address events (pyroute2, imported here and nowhere on
  the CLI's paths): a port whose link comes up starts with fast
  transmissions, one that goes down or away loses its neighbours, a new
  MAC, alias or address is announced at once.  Address events come in
  bursts (a DHCP lease, a VRF, hundreds of addresses at boot) and each
  refresh is a netlink dump plus a sysfs read per port, so a burst is
  coalesced: the first event schedules one refresh :data:`ADDRESS_SETTLE`
  later, and events until then (or during it: one more follows) ride on it;
* ``lldp.neighbors`` and ``lldp.statistics`` on the control socket.

The ports are ``[lldp] ports`` (only those are read at start) or, when
absent, every physical Ethernet port that is up (and any that comes up
later).  A configured port that does not exist is reported and waited for,
not fatal: interfaces appear late at boot.  A port deleted under us makes
its socket fail with ENETDOWN or ENXIO before netlink says so: that is the
port going away (logged at debug level, counted as ``ports_vanished``), not
a warning.

On stop every port that announced us sends the shutdown LLDPDU, so
neighbours drop us at once instead of after our TTL; then the sockets are
closed together (:func:`~chassisctl.net.packet.close_all`: each close waits
~13 ms in the kernel, 7 s for 512 ports one by one, ~0.1 s overlapped).
Sockets of ports that go away while running are closed the same way, off
the event loop.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import math
import os
import platform
import random
import time
from typing import Any

from chassisctl import __version__
from chassisctl.errors import ConfigError, UsageError
from chassisctl.lldp.agent import Agent, FrameDiscarded, NeighborAdded, NeighborChanged, NeighborRemoved
from chassisctl.lldp.frame import ETHERTYPE, NEAREST_BRIDGE
from chassisctl.lldp.records import pdu_fields
from chassisctl.lldp.settings import LldpSettings, parse_section
from chassisctl.lldp.tlv import ManagementAddress
from chassisctl.net import links
from chassisctl.net.packet import close_all, open_packet_socket
from chassisctl.net.readyset import ReadySet

#: Longest a received frame waits while the agent is busy (seconds); also
#: how soon after a pass that read frames the sockets are drained again.
#: A multiple of the agent's transmit grid, so the two share wake-ups.
RX_POLL = Agent.TX_GRID

#: Longest an address change waits for the rest of its burst (seconds); the
#: first event of a burst starts the wait, later ones do not extend it.
ADDRESS_SETTLE = 0.2

#: Receive errors that mean the interface went down or is being deleted.
_PORT_GONE = frozenset({errno.ENETDOWN, errno.ENXIO, errno.ENODEV})


def build(section: Any, ctx: Any) -> list[Any]:
    """``serve``'s entry point for ``[lldp]``."""
    return [LldpService(parse_section(section), ctx)]


def default_description() -> str:
    uname = platform.uname()
    return f"chassisctl {__version__} on {uname.system} {uname.release} {uname.machine}"


# The service's own counters (``lldp statistics --json`` "service"), for /metrics too: a
# port that keeps vanishing or an address storm shows on a dashboard, not only in a query.
_SERVICE_COUNTERS = (
    ("ports_vanished", "Ports that disappeared while the agent ran on them."),
    ("address_events", "Netlink address events seen (they change the management address)."),
    ("address_refreshes", "Management-address refreshes after coalescing address events."),
)


class LldpService:
    name = "lldp"

    def __init__(self, settings: LldpSettings, ctx: Any, *, sys_net: Any = None) -> None:
        self.settings = settings
        self.ctx = ctx
        self.log = logging.getLogger("chassisctl.serve.lldp")
        self._sys_net = sys_net or links.SYS_NET
        self.agent: Agent | None = None
        self._sockets: dict[str, Any] = {}
        self._ready: ReadySet[str] | None = None
        #: True while the loop watches the ready set (quiet); else the next
        #: drain is at the latest at ``_poll_at`` (busy).
        self._watching = False
        self._poll_at: float | None = None
        self._monitor: links.LinkMonitor | None = None
        self._addresses: dict[int, list[tuple[int, bytes]]] = {}
        #: One loop timer for the agent's next deadline (no task per wake-up:
        #: at hundreds of ports the wake-ups are the cost).
        self._timer: asyncio.TimerHandle | None = None
        self._deadline = float("inf")
        self._failed: asyncio.Future | None = None
        self._missing_reported: set[str] = set()
        self._discards_reported: set[tuple[str, str]] = set()
        #: Address refresh: the pending one's handle, the running one, and
        #: whether an event came while it ran.
        self._address_timer: asyncio.TimerHandle | None = None
        self._address_task: asyncio.Task | None = None
        self._address_dirty = False
        #: Sockets of ports that went away, waiting to be closed off the loop.
        self._retired: list[Any] = []
        self._closer: asyncio.Task | None = None
        #: Service-level counters (the agent keeps the 802.1AB ones).
        self.counters = {"ports_vanished": 0, "address_refreshes": 0, "address_events": 0}
        self.started = 0.0
        # serve commits a unit's queries before starting it: register now,
        # answer "not running" until start() has built the agent.
        ctx.control.register("lldp.neighbors", self._query_neighbors)
        ctx.control.register("lldp.statistics", self._query_statistics)

    # --- life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        now = time.monotonic()
        self.started = now
        present = {i.name: i for i in links.interfaces(self._sys_net, names=self.settings.ports)}
        scope = self._in_scope(present)
        try:
            chassis_mac = self._chassis_mac(present, scope)
        except ConfigError:
            if self.settings.ports is None:
                raise
            # No configured port has a MAC yet: any Ethernet interface's will do.
            chassis_mac = self._chassis_mac({i.name: i for i in links.interfaces(self._sys_net)}, scope)
        config = self.settings.agent_config(chassis_mac=chassis_mac, hostname=self.ctx.hostname,
                                            description=default_description())
        self.agent = Agent(config, rng=random.Random())
        self._ready = ReadySet()
        self._poll_at = None
        self._monitor = links.LinkMonitor(self._on_link_event)
        await self._monitor.start()
        try:
            self._addresses = await self._monitor.addresses()
            for name in self.settings.ports or ():
                if name not in present:
                    self._report_missing(name)
            for name in scope:
                self._sync_port(present[name], now)
        except BaseException:
            await self._close()
            raise
        self._failed = asyncio.get_running_loop().create_future()
        self._watch()
        self._rearm()

    def describe(self) -> str:
        ports = ", ".join(sorted(self._sockets)) or "no port yet"
        return f"LLDP on {ports}"

    def status(self) -> dict[str, Any]:
        if self.agent is None:
            return {"ports": [], "neighbors": [], "frames_in": 0, "frames_out": 0}
        stats = self.agent.statistics()
        # The neighbours themselves, briefly: chassisctl status shows them per port.
        brief = [{k: n.get(k) for k in ("local_port", "system_name", "chassis_id", "port_id", "ttl", "age_s")}
                 for n in self.agent.neighbors(time.monotonic(), None)]
        return {"ports": sorted(self._sockets), "neighbors": brief,
                "frames_in": stats["totals"].get("frames_in", 0), "frames_out": stats["totals"].get("frames_out", 0)}

    def metrics(self) -> list[tuple[str, str, str, dict[str, Any], float]]:
        """Per-port neighbours and 802.1AB counters for serve's /metrics."""
        if self.agent is None:
            return []
        out: list[tuple[str, str, str, dict[str, Any], float]] = []
        for port, stats in self.agent.statistics()["ports"].items():
            labels = {"port": port}
            out.append(("chassisctl_lldp_neighbors", "gauge", "LLDP neighbours on the port.", labels,
                        float(stats["neighbors"])))
            for key, text in (("frames_in", "LLDP frames received."), ("frames_out", "LLDP frames sent."),
                              ("frames_discarded", "Malformed LLDP frames discarded."),
                              ("ageouts", "Neighbours aged out."), ("tlvs_unrecognized", "TLVs not recognised.")):
                out.append((f"chassisctl_lldp_{key}_total", "counter", text, labels, float(stats[key])))
        for key, text in _SERVICE_COUNTERS:
            out.append((f"chassisctl_lldp_{key}_total", "counter", text, {}, float(self.counters[key])))
        return out

    async def wait_failed(self) -> None:
        """Returns (or raises) when the agent's loop dies: the supervisor restarts the service."""
        while self._failed is None:
            await asyncio.sleep(0.1)
        await asyncio.shield(self._failed)

    async def stop(self) -> None:
        """Say goodbye on every port (TTL 0), then close everything; well under a second."""
        began = time.monotonic()
        goodbyes = 0
        if self.agent is not None:
            frames = self.agent.shutdown(began)
            goodbyes = self._send(frames)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = float("inf")
        self._failed = None
        ports = len(self._sockets)
        await self._close()
        self.log.info("lldp: stopped: shutdown LLDPDU sent on %d of %d ports, sockets closed, in %.0f ms",
                      goodbyes, ports, (time.monotonic() - began) * 1000)

    async def _close(self) -> None:
        self._unwatch()
        if self._address_timer is not None:
            self._address_timer.cancel()
            self._address_timer = None
        if self._address_task is not None:
            self._address_task.cancel()
            await asyncio.gather(self._address_task, return_exceptions=True)
            self._address_task = None
        if self._ready is not None:
            for name in self._sockets:
                self._ready.discard(name)
        self._retired.extend(self._sockets.values())
        self._sockets.clear()
        if self._ready is not None:
            self._ready.close()
            self._ready = None
        monitor, self._monitor = self._monitor, None
        # The sockets close in threads while netlink is shut down here.
        closing = asyncio.ensure_future(self._close_retired())
        try:
            if monitor is not None:
                await monitor.stop()
        finally:
            await closing

    async def _close_retired(self) -> None:
        """Close retired sockets in a thread pool, batch after batch, until none is left."""
        if self._closer is not None and self._closer is not asyncio.current_task():
            await asyncio.shield(self._closer)
        while self._retired:
            batch, self._retired = self._retired, []
            await asyncio.to_thread(close_all, batch)

    def _retire(self, sock: Any) -> None:
        """Close ``sock`` soon, off the loop, with any other port that goes away meanwhile."""
        self._retired.append(sock)
        if self._closer is None or self._closer.done():
            self._closer = asyncio.ensure_future(self._close_retired())

    # --- ports ------------------------------------------------------------------------------------

    def _in_scope(self, present: dict[str, links.Interface]) -> list[str]:
        if self.settings.ports is not None:
            return [p for p in self.settings.ports if p in present]
        return [name for name, i in present.items() if i.physical and i.ethernet and i.up]

    def _wanted(self, iface: links.Interface) -> bool:
        if self.settings.ports is not None:
            return iface.name in self.settings.ports
        return iface.physical and iface.ethernet

    def _chassis_mac(self, present: dict[str, links.Interface], scope: list[str]) -> bytes:
        """The first port's MAC (by name), else any Ethernet MAC: one chassis id for every port."""
        candidates = sorted(scope) + sorted(n for n, i in present.items() if i.ethernet and n != "lo")
        for name in candidates:
            mac = present[name].mac
            if len(mac) == 6 and any(mac):
                return mac
        raise ConfigError("lldp: no Ethernet interface with a MAC address to use as the chassis id",
                          hint="list the ports in [lldp] ports")

    def _report_missing(self, name: str) -> None:
        if name not in self._missing_reported:
            self._missing_reported.add(name)
            self.log.error("lldp: port %s: no such network interface; waiting for it to appear", name)

    def _management(self, iface: links.Interface) -> tuple[ManagementAddress, ...]:
        """The port's own first IPv4 and IPv6 address, else the system's first global ones."""
        def pick(items: list[tuple[int, bytes]], index: int) -> list[ManagementAddress]:
            out, families = [], set()
            for family, raw in items:
                if family not in families:
                    families.add(family)
                    out.append(ManagementAddress(family, raw, 2, index))
            return out

        own = pick(self._addresses.get(iface.index, []), iface.index)
        if own:
            return tuple(own)
        for index, items in sorted(self._addresses.items()):
            usable = [(f, r) for f, r in items if not _local_only(f, r)]
            if usable:
                return tuple(pick(usable, index))
        return ()

    def _sync_port(self, iface: links.Interface, now: float) -> None:
        """Bring the agent in line with what the interface is now."""
        agent = self.agent
        assert agent is not None
        if not iface.up:
            if agent.port_up(iface.name):
                self.log.info("lldp: %s: link down", iface.name)
                agent.link_down(iface.name, now)
            return
        if iface.name not in self._sockets:
            try:
                sock = open_packet_socket(iface.name, ETHERTYPE, NEAREST_BRIDGE)
            except ConfigError as exc:  # gone between the event and the open
                self.log.warning("lldp: %s", exc)
                return
            self._sockets[iface.name] = sock
            assert self._ready is not None
            self._ready.add(iface.name, sock)
            self.log.info("lldp: %s: up, transmitting", iface.name)
        agent.add_port(iface.name, iface.mac, now, ifindex=iface.index, description=iface.alias,
                       management=self._management(iface))
        self._rearm()

    def _drop_port(self, name: str, now: float, *, link_up: bool) -> None:
        assert self.agent is not None
        if self.agent.has_port(name):
            self.agent.remove_port(name, now, link_up=link_up)
            self._send(self.agent.frames_to_send(now))
        sock = self._sockets.pop(name, None)
        if sock is not None:
            if self._ready is not None:
                self._ready.discard(name)
            self._retire(sock)
            self.log.info("lldp: %s: gone", name)

    async def _on_link_event(self, event: links.LinkEvent) -> None:
        now = time.monotonic()
        if event.kind == "address":
            self._address_changed()
            return
        name = event.name
        if not name:
            return
        if self.settings.ports is not None and name not in self.settings.ports \
                and name not in self._sockets and not (self.agent and self.agent.has_port(name)):
            return  # not ours: no sysfs read for it
        iface = links.interface(name, self._sys_net) if event.kind == "link" else None
        if iface is None:
            if name in self._sockets or (self.agent and self.agent.has_port(name)):
                self._drop_port(name, now, link_up=False)
            return
        if self._wanted(iface):
            if name in self._missing_reported:
                self._missing_reported.discard(name)
                self.log.info("lldp: port %s appeared", name)
            self._sync_port(iface, now)
        self._flush(now)

    def _address_changed(self) -> None:
        """An address came or went: refresh once for the whole burst (see the module docstring)."""
        self.counters["address_events"] += 1
        if self._address_task is not None and not self._address_task.done():
            self._address_dirty = True  # the running refresh may have read too early
        elif self._address_timer is None:
            self._address_timer = asyncio.get_running_loop().call_later(ADDRESS_SETTLE, self._address_due)

    def _address_due(self) -> None:
        self._address_timer = None
        self._address_task = asyncio.ensure_future(self._refresh_addresses())

    async def _refresh_addresses(self) -> None:
        """Read every address once, and announce the ports whose management addresses changed."""
        while True:
            self._address_dirty = False
            monitor = self._monitor
            if monitor is None or self.agent is None:
                return
            self.counters["address_refreshes"] += 1
            try:
                self._addresses = await monitor.addresses()
            except Exception as exc:  # noqa: BLE001 - the next event retries
                self.log.warning("lldp: reading addresses failed: %s", exc)
                return
            if self.agent is None:
                return
            now = time.monotonic()
            for port in list(self._sockets):
                iface = links.interface(port, self._sys_net)
                if iface is not None and iface.up:
                    self._sync_port(iface, now)
            self._flush(now)
            if not self._address_dirty:
                return
            # Events came while the dump ran: one more pass, after the same settling time.
            await asyncio.sleep(ADDRESS_SETTLE)

    # --- the loop ---------------------------------------------------------------------------------

    def _on_ready(self) -> None:
        """A frame came while the loop was watching (quiet): read it now."""
        self._unwatch()
        self._wake()

    def _wake(self) -> None:
        """One pass: read every frame that came, run the agent's due timers,
        send what is due, then choose how to wait (see the module docstring)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = float("inf")
        agent, ready = self.agent, self._ready
        if agent is None or ready is None:
            return
        try:
            now = time.monotonic()
            frames, errors = ready.drain()
            for name, exc in errors:
                self._receive_failed(name, exc, now)
            receive = agent.receive
            for name, frame in frames:
                receive(name, frame, now)
            agent.handle_timer(now)
            self._send(agent.frames_to_send(now))
            for event in agent.events():
                self._log_event(event)
            when = agent.get_timer()
            if frames or (when is not None and when - now <= RX_POLL):
                self._unwatch()
                self._poll_at = math.ceil((now + RX_POLL) / Agent.TX_GRID - 1e-6) * Agent.TX_GRID
            else:
                self._poll_at = None
                self._watch()
            self._rearm()
        except Exception as exc:
            self.log.exception("lldp: agent failed")
            if self._failed is not None and not self._failed.done():
                self._failed.set_exception(exc)

    def _receive_failed(self, name: str, exc: OSError, now: float) -> None:
        """A socket's receive error: a port going down or away is expected, anything else is not."""
        if exc.errno not in _PORT_GONE:
            self.log.warning("lldp: %s: receive failed: %s", name, exc.strerror or exc)
            return
        self.log.debug("lldp: %s: receive: %s (port going down or away)", name, exc.strerror or exc)
        if links.interface(name, self._sys_net) is None and name in self._sockets:
            # Deleted: the netlink event may still be on its way; do not wait for it.
            self.counters["ports_vanished"] += 1
            self._drop_port(name, now, link_up=False)

    def _watch(self) -> None:
        if not self._watching and self._ready is not None and self._failed is not None:
            asyncio.get_running_loop().add_reader(self._ready.fileno(), self._on_ready)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._watching = False
            if self._ready is not None:
                asyncio.get_running_loop().remove_reader(self._ready.fileno())

    def _flush(self, now: float) -> None:
        """Send what the agent queued, log its events, and wake the loop
        earlier if the agent now needs it earlier than it planned to sleep."""
        agent = self.agent
        assert agent is not None
        self._send(agent.frames_to_send(now))
        for event in agent.events():
            self._log_event(event)
        when = agent.get_timer()
        if when is not None and when < self._deadline:
            self._rearm()

    def _send(self, frames: list[tuple[str, bytes]]) -> int:
        """Send each frame on its port's socket; the number sent."""
        sockets = self._sockets
        sent = 0
        for port, frame in frames:
            sock = sockets.get(port)
            if sock is None:
                continue
            try:
                sock.send(frame)
                sent += 1
            except OSError as exc:  # a link that just went down; the next event says so
                self.log.debug("lldp: %s: send failed: %s", port, exc.strerror or exc)
        return sent

    def _rearm(self) -> None:
        """(Re)set the loop timer to the agent's next deadline or the next drain, whichever is first."""
        if self.agent is None or self._failed is None:
            return
        when = self.agent.get_timer()
        if self._poll_at is not None and (when is None or self._poll_at < when):
            when = self._poll_at
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = float("inf") if when is None else when
        if when is not None:
            # The loop's clock is time.monotonic(), the agent's too.
            self._timer = asyncio.get_running_loop().call_at(when, self._wake)

    def _log_event(self, event: Any) -> None:
        if isinstance(event, (NeighborAdded, NeighborRemoved)):
            f = pdu_fields(event.pdu)
            who = f"{f['system_name'] or f['chassis_id']} port {f['port_id']}"
            if isinstance(event, NeighborAdded):
                self.log.info("lldp: %s: new neighbour %s (TTL %d s)", event.port, who, f["ttl"])
            else:
                self.log.info("lldp: %s: neighbour %s left: %s", event.port, who, event.reason)
        elif isinstance(event, NeighborChanged):
            self.log.debug("lldp: %s: neighbour %s changed", event.port, event.pdu.chassis_id.text)
        elif isinstance(event, FrameDiscarded):
            key = (event.port, event.reason)
            level = logging.DEBUG if key in self._discards_reported else logging.WARNING
            self._discards_reported.add(key)
            self.log.log(level, "lldp: %s: discarded a malformed LLDPDU (%s): %s "
                         "(further ones are counted in lldp statistics)", event.port, event.reason, event.message)

    # --- control queries --------------------------------------------------------------------------

    def _running(self) -> Agent:
        if self.agent is None:
            from chassisctl.errors import TimeoutFailure

            raise TimeoutFailure("the LLDP agent is starting: ask again in a moment")
        return self.agent

    def _check_port(self, args: dict[str, Any]) -> str | None:
        port = args.get("port")
        if port is None:
            return None
        assert self.agent is not None
        if not isinstance(port, str) or not self.agent.has_port(port):
            raise UsageError(f"no LLDP port {port!r}",
                             hint=f"the agent runs on: {', '.join(self.agent.ports) or 'no port'}")
        return port

    def _query_neighbors(self, args: dict[str, Any]) -> dict[str, Any]:
        agent = self._running()
        now = time.monotonic()
        port = self._check_port(args)
        return {"neighbors": agent.neighbors(now, port), "departed": agent.departed(now, port),
                "ports": agent.ports, "local": self._local()}

    def _query_statistics(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._running().statistics() | {"uptime_s": round(time.monotonic() - self.started, 3),
                                               "service": dict(self.counters)}

    def _local(self) -> dict[str, Any]:
        assert self.agent is not None
        cfg = self.agent.config
        return {"chassis_id": cfg.chassis_id.text, "system_name": cfg.system_name,
                "tx_interval": cfg.tx_interval, "tx_hold": cfg.tx_hold, "ttl": cfg.tx_ttl,
                "port_id_subtype": cfg.port_id_subtype, "pid": os.getpid()}


def _local_only(family: int, raw: bytes) -> bool:
    """Loopback and link-local addresses mean nothing off the link."""
    if family == 1:
        return raw[0] == 127 or raw[:2] == b"\xa9\xfe"
    return raw == bytes(15) + b"\x01" or raw[:2] == b"\xfe\x80"
