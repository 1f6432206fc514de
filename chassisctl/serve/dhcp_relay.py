"""The DHCP relay at run time: sockets, netlink, and the relays' decisions.

:class:`RelayRuntime` runs one or more relay instances (DHCPv4 and/or
DHCPv6, e.g. one per VLAN interface).  It is what ``chassisctl dhcp-relay
start`` runs in the foreground and what ``serve`` runs for its
``[[dhcp_relay]]`` tables (:func:`build`).

Per DHCPv4 downstream interface there is one packet socket; all DHCPv4
instances of the process share one UDP socket on port 67 and all DHCPv6
instances one on port 547 (a port can be bound once, and ``serve`` builds
one unit per ``[[dhcp_relay]]`` table): :data:`HUB` holds those sockets and
the running runtimes, offers a reply to each instance in turn (taken by the
one whose giaddr, link selection or Interface-ID it names) and answers
``dhcp_relay.status`` for all of them.

Packets never touch the asyncio loop: the hub has one I/O thread that waits
in ``epoll`` on every relay socket and, per ready socket and wake-up, reads
what is queued (bounded: :data:`BURST_UDP` datagrams from a busy UDP socket,
:data:`chassisctl.net.pktring.BURST` frames from a client link's ring), runs
the relay's decision on each and sends at once.  Client frames come through
a memory-mapped ring (:mod:`chassisctl.net.pktring`), so a burst costs one
wake-up and no system call per frame; UDP datagrams are read into a buffer
allocated with the socket (``recvmsg_into``) until the socket says EAGAIN
(DHCPv6: or, before each of a burst's first :data:`PEEKED` reads, ``Udp6.queued`` says that
nothing waits).  Through the loop each packet also paid
the loop's selector and callback machinery and a non-blocking read ending in
EAGAIN (a raised exception, ~2.5 us); ``epoll.poll`` on ready sockets costs
~0.5 us.  Under a storm the thread keeps relaying at its own pace while the
kernel drops the excess from the large receive queues, and the drop shows
up in the counters (``queue_full``) instead of the relay stalling.  The
asyncio side keeps the slow work: netlink tracking, statistics, status.
:attr:`_Hub.lock` is held by the I/O thread while it handles packets and
by the loop whenever it opens or closes a socket or reads counters, so a
socket never closes under a packet being handled.

Start-up refuses (exit 78) a downstream interface that does not exist or
has no IPv4 address for DHCPv4, a giaddr that is not one of the relay's
addresses, and an interface another chassisctl relay already serves in
this network namespace (an abstract Unix socket per interface is the
lock, so it is released however the other process ends).  Without
CAP_NET_RAW the packet sockets fail: exit 77.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import select
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chassisctl.dhcp import actions as act
from chassisctl.dhcp.config import RelayConfig, from_tables
from chassisctl.dhcp.links import Link
from chassisctl.dhcp.relay4 import Relay4, check_giaddr
from chassisctl.dhcp.relay6 import Relay6
from chassisctl.errors import ConfigError
from chassisctl.net.auxdata import TP_STATUS_CSUM_VALID, TP_STATUS_CSUMNOTREADY

if TYPE_CHECKING:
    from chassisctl.net.ifaddrs import LinkWatcher
    from chassisctl.net.pktring import PacketRing

LOG = logging.getLogger("chassisctl.serve.dhcp_relay")
STATS_INTERVAL = 1.0
#: Longest the I/O thread waits in epoll without looking at its stop flag (it is also woken at once).
TICK = 1.0
#: Datagrams read from a UDP socket per wake-up at most (the rest wait for the next pass, so one
#: busy socket cannot starve the client links).
BURST_UDP = 64
#: A UDP socket woken again within this many seconds is busy: read it until EAGAIN (up to
#: BURST_UDP).  Otherwise read one datagram: at low rates the read that ends in EAGAIN (a
#: system call and an exception) would be paid on every wake-up for nothing, and the
#: level-triggered epoll wakes the thread again at once if more is queued.
BUSY_GAP = 0.0005
#: In a busy DHCPv6 burst, whether another datagram waits is asked without reading (see
#: ``Udp6.queued``) before each of the first PEEKED reads: a short burst then ends without the
#: read that fails with EAGAIN (~3 us, the exception), a long one pays that once, not a check per
#: datagram.
PEEKED = 4

Handler = Callable[[float], None]
#: A frame with either status bit has a checksum the relay must not (or need not) verify.
NO_VERIFY = TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID


class _Hub:
    """The process' DHCP UDP sockets, its I/O thread and the runtimes using them (see the module docstring).

    The one piece of process-wide state here, because the ports are
    process-wide: a runtime attaches when it starts and detaches when it stops.
    """

    def __init__(self) -> None:
        self.runtimes: list[RelayRuntime] = []
        self.udp4: Any = None
        self.udp6: Any = None
        self.lock = threading.RLock()
        self._handlers: dict[int, Handler] = {}
        self._epoll: Any = None
        self._wake: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._overflow_seen = {4: 0, 6: 0}
        #: When each UDP socket last woke the thread (see BUSY_GAP).
        self._woken4 = self._woken6 = 0.0
        #: (runtime, instance) for every DHCPv4 and every DHCPv6 instance, in attach order: what the
        #: UDP handlers offer each datagram to, without a loop over runtimes per datagram.
        self._pairs4: list[tuple[RelayRuntime, Relay4]] = []
        self._pairs6: list[tuple[RelayRuntime, Relay6]] = []

    # -- the I/O thread -------------------------------------------------------------------------
    def register(self, fd: int, handler: Handler) -> None:
        """Call ``handler(now)`` from the I/O thread whenever ``fd`` is readable."""
        with self.lock:
            self._ensure_thread()
            self._handlers[fd] = handler
            self._epoll.register(fd, select.EPOLLIN)

    def unregister(self, fd: int) -> None:
        with self.lock:
            if self._handlers.pop(fd, None) is not None and self._epoll is not None:
                try:
                    self._epoll.unregister(fd)
                except (OSError, ValueError):
                    pass

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._epoll = select.epoll()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll.register(self._wake, select.EPOLLIN)
        # The wake-up eventfd has a handler like any socket: no comparison with it per event.
        self._handlers[self._wake] = self._read_wake
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="chassisctl-dhcp-relay", daemon=True)
        self._thread.start()

    def _read_wake(self, _now: float) -> None:
        if self._wake is None:  # closed by _stop_thread after the thread's last pass
            return
        try:
            os.eventfd_read(self._wake)
        except BlockingIOError:
            pass

    def _stop_thread(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        if self._wake is not None:
            os.eventfd_write(self._wake, 1)
        thread.join(5.0)
        self._epoll.close()
        if self._wake is not None:
            os.close(self._wake)
        self._thread, self._epoll, self._wake = None, None, None
        self._handlers.clear()

    def _run(self) -> None:
        poll, handlers, lock = self._epoll.poll, self._handlers, self.lock
        monotonic = time.monotonic
        while not self._stopping:
            try:
                events = poll(TICK)
            except InterruptedError:
                continue
            now = monotonic()
            with lock:
                for fd, _mask in events:
                    handler = handlers.get(fd)
                    if handler is None:
                        continue
                    try:
                        handler(now)
                    except Exception:  # a bug: log it, keep relaying for everyone else
                        LOG.exception("internal error handling a DHCP packet")

    # -- runtimes -------------------------------------------------------------------------------
    def attach(self, runtime: RelayRuntime) -> None:
        from chassisctl.net.dhcpsock import Udp4, Udp6

        with self.lock:
            if runtime.relays4 and self.udp4 is None:
                self.udp4 = Udp4()
                self.register(self.udp4.fileno(), self._on_udp4)
            if runtime.relays6 and self.udp6 is None:
                self.udp6 = Udp6()
                self.register(self.udp6.fileno(), self._on_udp6)
            self.runtimes.append(runtime)
            self._pair()

    def _pair(self) -> None:
        self._pairs4 = [(runtime, relay) for runtime in self.runtimes for relay in runtime.relays4]
        self._pairs6 = [(runtime, relay) for runtime in self.runtimes for relay in runtime.relays6]

    def detach(self, runtime: RelayRuntime) -> None:
        with self.lock:
            if runtime in self.runtimes:
                self.runtimes.remove(runtime)
                self._pair()
            for attr, family in (("udp4", "relays4"), ("udp6", "relays6")):
                sock = getattr(self, attr)
                if sock is not None and not any(getattr(rt, family) for rt in self.runtimes):
                    self.unregister(sock.fileno())
                    sock.close()
                    setattr(self, attr, None)
                    self._overflow_seen[4 if attr == "udp4" else 6] = 0
            idle = not self.runtimes and all(fd == self._wake for fd in self._handlers)
        if idle:
            self._stop_thread()

    def status(self) -> dict:
        return {"relays": [doc for runtime in self.runtimes for doc in runtime.status()]}

    def collect_overflows(self) -> None:
        with self.lock:
            for version, sock, family in ((4, self.udp4, "relays4"), (6, self.udp6, "relays6")):
                overflows = 0 if sock is None else sock.overflows
                if overflows <= self._overflow_seen[version]:
                    continue
                owners = [r for rt in self.runtimes for r in getattr(rt, family)]
                if owners:
                    owners[0].counters.drop("(socket)", "queue_full", overflows - self._overflow_seen[version])
                    self._overflow_seen[version] = overflows

    # Per datagram, the two handlers below read the socket, offer the packet to each instance's fast
    # path and send, with no call layer between (a shared drain, a per-family dispatch and a send
    # helper were ~100 of the ~600 bytecode instructions a reply cost, run cold after each wake-up).
    # A socket is read once per wake-up, or until EAGAIN (up to BURST_UDP) when it woke us within
    # BUSY_GAP.  An instance's general path runs when its fast path declines, before the next
    # instance is offered the packet; the first instance counts what none claims.
    def _on_udp4(self, now: float) -> None:
        sock = self.udp4
        if sock is None:
            return
        receive, pairs = sock.receive_one, self._pairs4
        burst = BURST_UDP if now - self._woken4 < BUSY_GAP else 1
        self._woken4 = now
        for _ in range(burst):
            got = receive()
            if got is None:
                return
            payload, src, index = got
            for runtime, relay in pairs:
                name = runtime._by_index.get(index) or f"if{index}"  # runtime._ifname, without the call
                delivery = relay.reply_fast(name, src, payload)
                if delivery is not None:  # what _perform does for a ToClient
                    client = runtime._packet.get(delivery[0])
                    if client is None:
                        relay.counters.note(name, "send_failed")
                        break
                    try:
                        client.sock.send(delivery[1])
                    except OSError as exc:
                        relay.counters.note(name, "send_failed")
                        runtime.log.warning("%s: send failed: %s", name, exc.strerror or exc)
                    break
                out = relay.receive_reply(name, src, payload, now)
                if out is not None:
                    runtime._perform(out, name, relay)
                    break
            else:
                self._unclaimed(pairs, index, "unknown_giaddr", "reply for a giaddr the relay does not use", now)

    def _on_udp6(self, now: float) -> None:
        sock = self.udp6
        if sock is None:
            return
        receive, sendto, pairs, queued = sock.receive_one, sock.sock.sendto, self._pairs6, sock.queued
        burst = BURST_UDP if now - self._woken6 < BUSY_GAP else 1
        self._woken6 = now
        for n in range(burst):
            if n and n < PEEKED and not queued():  # nothing more: no read ending in EAGAIN
                return
            got = receive()
            if got is None:
                return
            payload, src, index = got
            for runtime, relay in pairs:
                name = runtime._by_index.get(index) or f"if{index}"
                relayed = relay.receive_fast(name, src, payload)
                if relayed is not None:  # what _perform does for the ToServer/ToPeer actions
                    for destination in relayed[1]:
                        try:
                            sendto(relayed[0], destination)
                        except OSError as exc:
                            relay.counters.note(name, "send_failed")
                            runtime.log.warning("%s: send failed: %s", name, exc.strerror or exc)
                    break
                out = relay.receive(name, src, payload, now)
                if out is not None:
                    runtime._perform(out, name, relay)
                    break
            else:
                self._unclaimed(pairs, index, "not_for_relay", "not from a client link nor for one of its links", now)

    @staticmethod
    def _unclaimed(pairs: list, index: int, reason: str, detail: str, now: float) -> None:
        """A datagram no instance claimed: the first instance counts it (and logs it) under ``reason``."""
        if pairs:
            runtime, relay = pairs[0]
            name = runtime._ifname(index)
            runtime._perform(relay.unclaimed(name, reason, detail, now), name, relay)


#: The process' relay sockets and running relays.
HUB = _Hub()


class RelayRuntime:
    """Relay instances with their sockets, interface tracking and counters."""

    def __init__(self, configs: list[RelayConfig], hostname: str | None = None,
                 logger: logging.Logger | None = None) -> None:
        self.configs = configs
        self.hostname = hostname or socket.gethostname()
        self.log = logger or LOG
        self.relays4 = [Relay4(c, self.hostname) for c in configs if not c.ipv6]
        self.relays6 = [Relay6(c, self.hostname) for c in configs if c.ipv6]
        self.links: dict[str, Link] = {}
        self._by_index: dict[int, str] = {}
        self._packet: dict[str, PacketRing] = {}
        self._packet_relay: dict[str, Relay4] = {}
        self._attached = False
        self._locks: list[socket.socket] = []
        self._watcher: LinkWatcher | None = None
        self._tasks: list[asyncio.Task] = []

    @property
    def _udp4(self):
        return HUB.udp4

    def relays(self) -> list[Relay4 | Relay6]:
        """Every instance, IPv4 first."""
        return [*self.relays4, *self.relays6]

    @property
    def _udp6(self):
        return HUB.udp6

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        from chassisctl.net.ifaddrs import LinkWatcher

        try:
            self._watcher = watcher = LinkWatcher()  # every interface: replies may arrive on any of them
            self._set_links(await watcher.open())
            self._check_start()
            self._lock_interfaces()
            self._open_sockets()
            self._tasks.append(asyncio.ensure_future(self._follow_links()))
            self._tasks.append(asyncio.ensure_future(self._poll_stats()))
        except BaseException:
            await self.stop()
            raise
        for config in self.configs:
            self.log.info("dhcp relay %s: %s -> %s%s", config.family, ", ".join(config.downstream),
                          ", ".join(config.servers),
                          f" (option 82 {config.option82})" if config.option82 else "")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for name in list(self._packet):
            self._close_packet(name)
        if self._attached:
            HUB.detach(self)
            self._attached = False
        for lock in self._locks:
            lock.close()
        self._locks.clear()
        if self._watcher is not None:
            await self._watcher.close()
            self._watcher = None

    # -- start-up checks ------------------------------------------------------------------------
    def _check_start(self) -> None:
        for config in self.configs:
            for name in (*config.downstream, *config.upstream,
                         *([config.link_selection] if config.link_selection else [])):
                if name not in self.links:
                    raise ConfigError(f"interface {name} does not exist",
                                      hint="check --downstream/--upstream/--link-selection or the [[dhcp_relay]] table")
            if config.ipv6:
                continue
            for name in config.downstream if config.link_selection is None else [config.link_selection]:
                if not self.links[name].ipv4:
                    raise ConfigError(f"interface {name} has no IPv4 address to use as giaddr")
            if config.link_selection is not None:
                for name in config.downstream:
                    if not self.links[name].ipv4:
                        raise ConfigError(f"interface {name} has no IPv4 address for link selection")
            problem = check_giaddr(config, self.links)
            if problem:
                raise ConfigError(problem)

    def _lock_interfaces(self) -> None:
        for config in self.configs:
            for name in config.downstream:
                lock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                try:
                    lock.bind(f"\0chassisctl-dhcp-relay-{config.family}-{name}")
                except OSError as exc:
                    lock.close()
                    if exc.errno == errno.EADDRINUSE:
                        raise ConfigError(f"another chassisctl DHCP relay ({config.family}) already serves {name} "
                                          "in this network namespace: two relays on one segment would send "
                                          "every request twice") from None
                    raise
                self._locks.append(lock)

    # -- sockets --------------------------------------------------------------------------------
    def _open_sockets(self) -> None:
        HUB.attach(self)
        self._attached = True
        for relay in self.relays4:
            for name in relay.config.downstream:
                self._packet_relay[name] = relay
                self._open_packet(name)
        self._join6()

    def _open_packet(self, name: str) -> None:
        from chassisctl.net.pktring import PacketRing, ring_bytes

        link = self.links.get(name)
        sock = PacketRing(name, 67, mtu=link.mtu if link is not None else 1500,
                          ring_bytes=ring_bytes(len(self._packet_relay)))
        if not sock.ring:
            self.log.info("%s: no packet ring (kernel memory limits?): reading frames one by one", name)
        relay = self._packet_relay[name]
        perform, request, fast, frames = self._perform, relay.receive_request, relay.request_fast, sock.frames
        note, warning = relay.counters.note, self.log.warning

        def on_frame(now: float) -> None:  # in the hub's I/O thread
            try:
                got = frames()
            except OSError as exc:
                warning("%s: receive failed: %s", name, exc.strerror or exc)
                self._close_packet(name)
                return
            sendto = HUB.udp4.sock.sendto
            for frame, status in got:
                verify = not status & NO_VERIFY
                relayed = fast(name, frame, verify)
                if relayed is None:  # anything but a client's plain request: the general path
                    perform(request(name, frame, now, verify_udp=verify), name, relay)
                    continue
                payload, destinations = relayed
                for destination in destinations:
                    try:
                        sendto(payload, destination)
                    except OSError as exc:
                        note(name, "send_failed")
                        warning("%s: send failed: %s", name, exc.strerror or exc)

        with HUB.lock:
            self._packet[name] = sock
            HUB.register(sock.fileno(), on_frame)

    def _close_packet(self, name: str) -> None:
        with HUB.lock:
            sock = self._packet.pop(name, None)
            if sock is not None:
                HUB.unregister(sock.fileno())
                sock.close()

    def _join6(self) -> None:
        if self._udp6 is None:
            return
        for relay in self.relays6:
            for name in relay.config.downstream:
                link = self.links.get(name)
                if link is not None:
                    try:
                        self._udp6.join(link.index)
                    except OSError as exc:
                        self.log.warning("%s: cannot join ff02::1:2: %s", name, exc.strerror)

    # -- interface tracking -------------------------------------------------------------------------
    def _set_links(self, links: dict[str, Link]) -> None:
        with HUB.lock:  # not while the I/O thread is deciding on a packet
            self.links = links
            self._by_index = {link.index: name for name, link in links.items()}
            for relay in self.relays():
                relay.set_links(links)

    async def _follow_links(self) -> None:
        assert self._watcher is not None
        async for links in self._watcher.changes():
            old = self.links
            self._set_links(links)
            for name in self._packet_relay:
                before, now = old.get(name), links.get(name)
                if before is not None and (now is None or now.index != before.index):
                    self.log.warning("%s: interface is gone; relaying there stops until it returns", name)
                    self._close_packet(name)
                sock = self._packet.get(name)
                if now is not None and sock is not None and not sock.fits(now.mtu):
                    self.log.info("%s: MTU now %d: reopening the packet socket with larger slots", name, now.mtu)
                    self._close_packet(name)
                if now is not None and name not in self._packet:
                    try:
                        self._open_packet(name)
                        self.log.info("%s: interface is back; relaying there again", name)
                    except Exception as exc:  # noqa: BLE001 - keep following the other interfaces
                        self.log.warning("%s: cannot listen: %s", name, exc)
                if now is not None and before is not None and now.ipv4 != before.ipv4:
                    self.log.info("%s: IPv4 addresses now %s", name,
                                  ", ".join(".".join(map(str, a)) + f"/{p}" for a, p in now.ipv4) or "none")
            if self._udp6 is not None:
                for name, link in old.items():
                    if links.get(name) is None or links[name].index != link.index:
                        self._udp6.forget(link.index)
                self._join6()

    async def _poll_stats(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            self.collect_drops()

    def collect_drops(self) -> None:
        """Kernel queue drops since the last call, into the counters (``queue_full``), and frames
        too long for a ring slot (``truncated``)."""
        with HUB.lock:
            for name, sock in list(self._packet.items()):
                try:
                    dropped = sock.drops()
                except OSError:
                    continue
                if dropped:
                    self._packet_relay[name].counters.drop(name, "queue_full", dropped)
                if sock.truncated:
                    self._packet_relay[name].counters.drop(name, "truncated", sock.truncated)
                    sock.truncated = 0
        HUB.collect_overflows()

    # -- packets ------------------------------------------------------------------------------
    def _perform(self, actions: list, origin: str, relay) -> None:
        for action in actions:
            try:
                if type(action) is act.ToServer:
                    (HUB.udp6 if relay.config.ipv6 else HUB.udp4).send(action.server, action.payload)
                elif type(action) is act.ToClient:
                    sock = self._packet.get(action.ifname)
                    if sock is None:
                        relay.counters.note(origin, "send_failed")
                    else:
                        sock.send(action.frame)
                elif type(action) is act.ToPeer:
                    link = self.links.get(action.ifname)
                    assert self._udp6 is not None
                    self._udp6.send(action.peer, action.payload, action.port, link.index if link else 0)
                else:
                    self.log.warning("%s", action)
            except OSError as exc:
                relay.counters.note(origin, "send_failed")
                self.log.warning("%s: send failed: %s", origin, exc.strerror or exc)

    def _ifname(self, index: int) -> str:
        return self._by_index.get(index) or f"if{index}"

    # -- status ---------------------------------------------------------------------------------
    def status(self) -> list[dict]:
        """One document per instance, in configuration order (the ``relays`` list)."""
        self.collect_drops()
        out = []
        by_config = {id(r.config): r for r in self.relays()}
        with HUB.lock:
            for config in self.configs:
                out.append(by_config[id(config)].status())
        return out


class DhcpRelayService:
    """The ``serve`` service wrapping a :class:`RelayRuntime`."""

    name = "dhcp_relay"

    def __init__(self, runtime: RelayRuntime) -> None:
        self.runtime = runtime

    async def start(self) -> None:
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()

    def status(self) -> dict:
        return {"relays": self.runtime.status()}

    def metrics(self) -> list[tuple[str, str, str, dict[str, Any], float]]:
        """Per instance and interface: packets received, relayed and dropped by reason (for ``/metrics``).

        ``relay`` names the instance by family and downstream interfaces
        ("v4 dhr0"), which stays the same across restarts and reloads.  Runs on
        the exposition server's thread: counters are read under the hub's lock.
        """
        self.runtime.collect_drops()
        out: list[tuple[str, str, str, dict[str, Any], float]] = []
        with HUB.lock:
            relays = {id(r.config): r for r in self.runtime.relays()}
            for config in self.runtime.configs:
                relay = relays[id(config)]
                instance = f"{'v6' if config.ipv6 else 'v4'} {','.join(config.downstream)}"
                for ifname, counters in relay.counters.snapshot().items():
                    labels = {"relay": instance, "interface": ifname}
                    out.append(("chassisctl_dhcp_relay_received_total", "counter",
                                "DHCP packets the relay received, by instance and arrival interface.", labels,
                                float(counters["received"])))
                    out.append(("chassisctl_dhcp_relay_relayed_total", "counter",
                                "DHCP packets the relay forwarded, by instance and arrival interface.", labels,
                                float(counters["relayed"])))
                    for reason, count in counters["dropped"].items():
                        out.append(("chassisctl_dhcp_relay_dropped_total", "counter",
                                    "DHCP packets the relay dropped, by instance, arrival interface and reason.",
                                    labels | {"reason": reason}, float(count)))
        return out

    def describe(self) -> str:
        return "; ".join(f"DHCP relay {c.family} {','.join(c.downstream)} -> {','.join(c.servers)}"
                         for c in self.runtime.configs)


def validate(section: Any, config_path: Any = None) -> None:
    """All ``[[dhcp_relay]]`` tables together (serve builds one unit per table):
    two instances must not share a downstream interface."""
    from_tables(section, str(config_path or ""))


def build(section: Any, ctx: Any) -> list[DhcpRelayService]:
    """``serve``'s entry: the ``[[dhcp_relay]]`` tables → one service running every instance."""
    where = str(getattr(ctx, "config_path", "") or "")
    configs = from_tables(section, where)
    logger = getattr(ctx, "logger", None)
    runtime = RelayRuntime(configs, getattr(ctx, "hostname", None),
                           logger.getChild("dhcp_relay") if logger is not None else None)
    service = DhcpRelayService(runtime)
    control = getattr(ctx, "control", None)
    if control is not None:
        control.register("dhcp_relay.status", lambda args: HUB.status())
    return [service]
