"""The LLDP service's loop without root: socketpairs for the packet sockets, a fake sysfs.

What is checked here is how the service waits (see chassisctl.serve.lldp):
a quiet agent reads a lone frame as soon as it comes, not at its next
transmission; a busy one stops watching the sockets and drains them on its
timer, and goes back to watching once a pass finds nothing.  The real
sockets and lldpd are in tests/interop/test_lldp_*.py.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from types import SimpleNamespace

import pytest
from serve.lldp_rig import FakeMonitor, fake_sysfs, received, until

import chassisctl.serve.lldp as service_module
from chassisctl.lldp.frame import build_frame
from chassisctl.lldp.settings import parse_section
from chassisctl.lldp.tlv import ChassisId, Lldpdu, PortId, SystemName, Ttl, encode_lldpdu
from chassisctl.net import links


def peer_frame(n: int, ttl: int = 120) -> bytes:
    pdu = Lldpdu((ChassisId(4, bytes.fromhex(f"0200000001{n:02x}")), PortId(5, b"eth0"), Ttl(ttl),
                  SystemName(f"peer{n}")))
    return build_frame(bytes.fromhex(f"0200000001{n:02x}"), encode_lldpdu(pdu))


@pytest.fixture
def rig(tmp_path, monkeypatch):
    """An LldpService on ports port1..port3 whose sockets are socketpairs; ``rig.peer[name]`` is the far end."""
    names = ["port1", "port2", "port3"]
    sys_net = fake_sysfs(tmp_path / "net", names)
    peers: dict[str, socket.socket] = {}
    opened: list[socket.socket] = []

    def open_socketpair(ifname: str, ethertype: int, group: bytes | None = None) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ours.setblocking(False)
        theirs.setblocking(False)
        peers[ifname] = theirs
        opened.extend((ours, theirs))
        return ours

    monkeypatch.setattr(service_module, "open_packet_socket", open_socketpair)
    monkeypatch.setattr(links, "LinkMonitor", FakeMonitor)

    def make(**lldp):
        ctx = SimpleNamespace(control=SimpleNamespace(register=lambda name, handler: None), hostname="dut",
                              logger=logging.getLogger("test"), runtime_dir=None, config_path=None)
        return service_module.LldpService(parse_section({"ports": names, **lldp}), ctx, sys_net=sys_net)

    yield SimpleNamespace(make=make, peer=peers)
    for sock in opened:
        sock.close()


def test_a_quiet_agent_reads_a_lone_frame_when_it_comes(rig) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=3600)
        await svc.start()
        try:
            # Past fast start (4 frames, 1 s apart): the next transmission is ~an hour away.
            assert await until(lambda: svc.agent.get_timer() - time.monotonic() > 60, 10)
            assert await until(lambda: svc._watching, 2)
            rig.peer["port2"].send(peer_frame(2))
            # Only the watched ready set can have read it: no timer is due before an hour.
            assert await until(lambda: len(svc.agent.neighbors(time.monotonic())) == 1, 2)
            (record,) = svc.agent.neighbors(time.monotonic())
            assert record["local_port"] == "port2" and record["system_name"] == "peer2"
            # That pass read a frame, so the next looks again a poll step later, finds nothing,
            # and the service goes back to watching.
            assert await until(lambda: svc._watching, 2)
            rig.peer["port2"].send(peer_frame(2, ttl=0))   # shutdown: gone as soon as it comes
            assert await until(lambda: svc.agent.neighbors(time.monotonic()) == [], 2)
            assert svc.agent.departed(time.monotonic())[0]["reason"] == "shutdown"
        finally:
            await svc.stop()
        sent = {name: received(rig.peer[name]) for name in ("port1", "port2", "port3")}
        assert len(sent["port1"]) == len(sent["port3"]) == 4 + 1      # fast start, then the shutdown
        assert len(sent["port2"]) >= 4 + 1 + 1                       # and at once for the new neighbour
        for name, frames in sent.items():
            assert frames[-1].ttl == 0 and all(f.port_id.value == name.encode() for f in frames)

    asyncio.run(main())


def test_a_busy_agent_drains_every_port_on_its_timer(rig) -> None:
    async def main() -> None:
        svc = rig.make(tx_interval=1, tx_hold=4)
        await svc.start()
        try:
            stop = time.monotonic() + 2.5
            watched = 0
            while time.monotonic() < stop:   # every peer speaks every 0.1 s, as a busy link does
                for n, name in enumerate(("port1", "port2", "port3"), start=1):
                    rig.peer[name].send(peer_frame(n))
                watched += svc._watching
                await asyncio.sleep(0.1)
            records = svc.agent.neighbors(time.monotonic())
            assert sorted(r["local_port"] for r in records) == ["port1", "port2", "port3"]
            assert watched <= 3                  # it polled, rather than waking per frame
            totals = svc.agent.statistics()["totals"]
            assert totals["frames_in"] >= 3 * 20 and totals["inserts"] == 3
        finally:
            await svc.stop()
        for name in ("port1", "port2", "port3"):  # each port transmitted about once a second
            assert 2 <= len(received(rig.peer[name])) <= 5

    asyncio.run(main())
