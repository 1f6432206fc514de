"""What keeps the LLDP service cheap at hundreds of ports, without root.

* :func:`chassisctl.net.packet.close_all` overlaps the closes (each packet
  socket's close waits ~13 ms in the kernel) in a bounded pool, and the
  service's stop and its deleted ports use it;
* :func:`chassisctl.net.links.interfaces` with ``names`` reads only those,
  and the service's start with ``[lldp] ports`` reads nothing else;
* a burst of address events is one refresh, at most ``ADDRESS_SETTLE`` late;
* ENETDOWN/ENXIO from a deleted port is the port going away, not a warning.

The real sockets at 256 ports are in tests/interop/test_lldp_scale.py.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import shutil
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from serve.lldp_rig import FakeMonitor, fake_sysfs, received, until

import chassisctl.serve.lldp as service_module
from chassisctl.lldp.settings import parse_section
from chassisctl.lldp.tlv import ManagementAddress
from chassisctl.net import links, packet

PORTS = ["port1", "port2", "port3"]


# --- close_all -----------------------------------------------------------------------------------

class SlowSocket:
    """Closes like a packet socket: a wait in the kernel, the GIL released."""

    def __init__(self, state: dict, fail: bool = False) -> None:
        self.state, self.fail, self.closed = state, fail, False

    def close(self) -> None:
        with self.state["lock"]:
            self.state["now"] += 1
            self.state["peak"] = max(self.state["peak"], self.state["now"])
        time.sleep(0.02)
        with self.state["lock"]:
            self.state["now"] -= 1
        self.closed = True
        if self.fail:
            raise OSError(errno.EBADF, "Bad file descriptor")


def test_close_all_overlaps_the_closes_in_a_bounded_pool() -> None:
    state = {"lock": threading.Lock(), "now": 0, "peak": 0}
    socks = [SlowSocket(state, fail=(n == 5)) for n in range(48)]
    start = time.monotonic()
    packet.close_all(socks, threads=8)  # type: ignore[arg-type]
    elapsed = time.monotonic() - start
    assert all(s.closed for s in socks)          # one failing close does not stop the rest
    assert 2 <= state["peak"] <= 8
    assert elapsed < 48 * 0.02 * 0.6             # serial would be 0.96 s; 6 rounds of 8 are ~0.12 s


def test_close_all_closes_real_sockets_and_takes_any_iterable() -> None:
    pairs = [socket.socketpair() for _ in range(20)]
    socks = [s for pair in pairs for s in pair]
    packet.close_all(iter(socks))
    assert all(s.fileno() == -1 for s in socks)
    packet.close_all([])                          # nothing to do
    one = socket.socket()
    packet.close_all([one])
    assert one.fileno() == -1


# --- interfaces(names=...) ------------------------------------------------------------------------

@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Every interface name links.interface was asked for."""
    seen: list[str] = []
    real = links.interface

    def counting(name: str, base: Path = links.SYS_NET) -> links.Interface | None:
        seen.append(name)
        return real(name, base)

    monkeypatch.setattr(links, "interface", counting)
    return seen


def test_interfaces_reads_only_the_names_asked_for_in_that_order(tmp_path, reads) -> None:
    base = fake_sysfs(tmp_path, PORTS + [f"vlan{n}" for n in range(100)])
    got = links.interfaces(base, names=["port3", "nope", "port1", "port3", "../port2", ""])
    assert [i.name for i in got] == ["port3", "port1"]
    assert reads == ["port3", "nope", "port1"]
    assert len(links.interfaces(base)) == 103
    assert links.interfaces(base, names=[]) == []


# --- the service ----------------------------------------------------------------------------------

@pytest.fixture
def rig(tmp_path, monkeypatch):
    sys_net = fake_sysfs(tmp_path / "net", PORTS + [f"vlan{n}" for n in range(50)])
    peers: dict[str, socket.socket] = {}
    opened: list[socket.socket] = []

    def open_socketpair(ifname: str, ethertype: int, group: bytes | None = None) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.setblocking(False)
        theirs.setblocking(False)
        peers[ifname] = theirs
        opened.extend((ours, theirs))
        return ours

    closed: list[list] = []
    real_close_all = service_module.close_all

    def recording_close_all(socks, *args, **kw) -> None:
        socks = list(socks)
        closed.append(socks)
        real_close_all(socks, *args, **kw)

    FakeMonitor.instances.clear()
    monkeypatch.setattr(service_module, "open_packet_socket", open_socketpair)
    monkeypatch.setattr(service_module, "close_all", recording_close_all)
    monkeypatch.setattr(links, "LinkMonitor", FakeMonitor)

    def make(**lldp):
        ctx = SimpleNamespace(control=SimpleNamespace(register=lambda name, handler: None), hostname="dut",
                              logger=logging.getLogger("test"), runtime_dir=None, config_path=None)
        return service_module.LldpService(parse_section({"ports": PORTS, **lldp}), ctx, sys_net=sys_net)

    yield SimpleNamespace(make=make, peer=peers, closed=closed, sys_net=sys_net)
    for sock in opened:
        sock.close()


def test_start_reads_only_the_configured_ports_and_stop_closes_them_together(rig, reads) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=3600)
        await svc.start()
        assert sorted(set(reads)) == PORTS              # not the 50 VLANs next to them
        assert sorted(svc._sockets) == PORTS
        stats = svc.agent.statistics
        assert await until(lambda: all(p["frames_out"] for p in stats()["ports"].values()), 3)
        await svc.stop()

    asyncio.run(main())
    assert [len(batch) for batch in rig.closed] == [3]  # one close_all for every port
    assert all(s.fileno() == -1 for s in rig.closed[0])
    for name in PORTS:                                  # after the goodbye
        assert received(rig.peer[name])[-1].ttl == 0


def test_an_address_burst_is_one_refresh_that_announces_the_new_address(rig) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=3600)
        await svc.start()
        monitor = FakeMonitor.instances[-1]
        try:
            assert monitor.dumps == 1                  # start's own read
            monitor.table = {2: [(1, bytes([192, 0, 2, 1]))]}      # port1 (ifindex 2) got 192.0.2.1
            for _ in range(200):
                await svc._on_link_event(links.LinkEvent("address", None, 2))
            assert monitor.dumps == 1                  # nothing read per event
            assert await until(lambda: monitor.dumps == 2, 2)
            await asyncio.sleep(service_module.ADDRESS_SETTLE * 2)
            assert monitor.dumps == 2                  # one refresh for the burst
            assert svc.counters["address_events"] == 200 and svc.counters["address_refreshes"] == 1
            def announced() -> bool:                   # at once, or with the next fast-start frame
                return any([a.address for a in pdu.tlvs if isinstance(a, ManagementAddress)]
                           == [bytes([192, 0, 2, 1])] for pdu in received(rig.peer["port1"]))

            assert await until(announced, 2)
        finally:
            await svc.stop()

    asyncio.run(main())


def test_a_steady_stream_of_address_events_refreshes_at_a_bounded_delay(rig) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=3600)
        await svc.start()
        monitor = FakeMonitor.instances[-1]
        monitor.delay = 0.05                           # a dump takes time; events keep coming meanwhile
        try:
            start = time.monotonic()
            while time.monotonic() - start < 1.2:
                await svc._on_link_event(links.LinkEvent("address", None, 3))
                await asyncio.sleep(0.02)
            refreshes = monitor.dumps - 1
            # Never postponed to the end of the stream, never once per event (~60 came).
            assert 2 <= refreshes <= 1.2 / service_module.ADDRESS_SETTLE + 1
            assert await until(lambda: svc._address_task is None or svc._address_task.done(), 2)
            final = monitor.dumps
            await asyncio.sleep(service_module.ADDRESS_SETTLE * 2)
            assert monitor.dumps == final              # quiet again: nothing more
        finally:
            await svc.stop()

    asyncio.run(main())


def test_enetdown_from_a_deleted_port_drops_it_quietly(rig, caplog) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=3600)
        await svc.start()
        try:
            now = time.monotonic()
            with caplog.at_level(logging.DEBUG, logger="chassisctl.serve.lldp"):
                # Down but still there: the link event handles it; nothing dropped, nothing warned.
                svc._receive_failed("port2", OSError(errno.ENETDOWN, "Network is down"), now)
                assert "port2" in svc._sockets and svc.counters["ports_vanished"] == 0
                # Deleted: gone at once, counted, closed off the loop.
                shutil.rmtree(rig.sys_net / "port3")
                svc._receive_failed("port3", OSError(errno.ENETDOWN, "Network is down"), now)
                svc._receive_failed("port3", OSError(errno.ENXIO, "No such device or address"), now)
                assert "port3" not in svc._sockets and not svc.agent.has_port("port3")
                assert svc.counters["ports_vanished"] == 1
                # The same counters on serve's /metrics, beside the per-port ones.
                samples = {(name, tuple(labels.items())): value for name, _, _, labels, value in svc.metrics()}
                assert samples[("chassisctl_lldp_ports_vanished_total", ())] == 1.0
                assert samples[("chassisctl_lldp_address_events_total", ())] == 0.0
                assert ("chassisctl_lldp_frames_in_total", (("port", "port1"),)) in samples
                assert await until(lambda: len(rig.closed) == 1, 2)
                assert len(rig.closed[0]) == 1 and rig.closed[0][0].fileno() == -1
                # The netlink event that follows finds nothing left to do.
                await svc._on_link_event(links.LinkEvent("link-removed", "port3", 4))
                warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
                assert warnings == []
                # Any other receive error is still worth a warning.
                svc._receive_failed("port1", OSError(errno.EIO, "Input/output error"), now)
                assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == [logging.WARNING]
        finally:
            await svc.stop()

    asyncio.run(main())
    assert [len(batch) for batch in rig.closed] == [1, 2]
