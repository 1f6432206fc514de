"""``chassisctl dhcp-relay start`` between real DHCP clients and dnsmasq, in namespaces.

Each acceptance case of the relay shown in tcpdump captures on both sides
(parsed with :mod:`interop.pcap` and the project's codecs), plus the
counters the relay prints as JSON when it stops.  Clients: busybox udhcpc,
ISC dhclient (v4 and -6); server: dnsmasq.  Crafted packets (option 82
from clients, excess hops, bad checksums, truncated options, a rogue
server) are injected as raw frames.  Missing tools skip, except under
CI=true where they fail.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import time

import pytest

from chassisctl.dhcp import ipudp, option82, v4, v6
from chassisctl.dhcp.errors import DecodeError
from chassisctl.dhcp.links import ip4

from interop.dhcp_bed import Bed, counters, wait_for
from interop.serve_fixture import in_ci, need

pytestmark = [pytest.mark.interop, pytest.mark.root]

CLIENT_NET = ipaddress.ip_network("192.0.2.0/24")
LEASE_TIMEOUT = 15.0
INJECTED_MAC = bytes.fromhex("02aabbccdd01")


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = Bed(tmp_path_factory.mktemp("dhcp-bed"))
    try:
        bed.create()
        bed.dnsmasq()
        yield bed
    finally:
        bed.destroy()


def decode4(frames: list[bytes]) -> list[tuple[ipudp.Udp4, v4.Message]]:
    out = []
    for frame in frames:
        try:
            packet = ipudp.parse_frame(frame, verify_udp=False)
            if {packet.sport, packet.dport} & {67, 68}:
                out.append((packet, v4.decode(packet.payload)))
        except DecodeError:
            continue
    return out


def udhcpc(bed: Bed) -> str:
    binary = shutil.which("udhcpc")
    argv = [binary] if binary else [need("busybox"), "udhcpc"]
    done = bed.sh(bed.client, *argv, "-f", "-q", "-n", "-t", "15", "-T", "1", "-i", "dhc0", "-s", "/bin/true",
                  timeout=LEASE_TIMEOUT + 5, check=False)
    text = done.stdout + done.stderr
    match = re.search(r"lease of (\d+\.\d+\.\d+\.\d+) obtained", text)
    assert done.returncode == 0 and match, text
    return match.group(1)


def dhclient(bed: Bed, *, v6: bool = False) -> str:
    need("dhclient")
    tag = "6" if v6 else "4"
    proc = bed.spawn(bed.client, ["dhclient", f"-{tag}", "-d", "-v", "-sf", "/bin/true",
                                  "-lf", str(bed.work / f"dhclient{tag}.leases"),
                                  "-pf", str(bed.work / f"dhclient{tag}.pid"), "dhc0"], f"dhclient{tag}")
    pattern = r"Bound to lease|bound to \S+" if v6 else r"bound to (\d+\.\d+\.\d+\.\d+)"
    try:
        match = wait_for(lambda: re.search(pattern, proc.err() + proc.out()), LEASE_TIMEOUT, "a dhclient lease")
    finally:
        bed.stop(proc)
        (bed.work / f"dhclient{tag}.leases").unlink(missing_ok=True)
    return match.group(1) if not v6 else match.group(0)


def request_frame(msg: v4.Message, *, dst: str = "255.255.255.255", src: str = "0.0.0.0",
                  dst_mac: bytes = ipudp.BROADCAST_MAC) -> bytes:
    return ipudp.build_frame(dst_mac, INJECTED_MAC, ip4(src), ip4(dst), 68, 67, v4.encode(msg))


def crafted(xid: int, *, hops: int = 0, giaddr: str = "0.0.0.0", extra=(), ciaddr: str = "0.0.0.0",
            msg_type: int = v4.MessageType.DISCOVER) -> v4.Message:
    return v4.Message(op=1, xid=xid, chaddr=INJECTED_MAC.ljust(16, b"\0"), hops=hops, flags=v4.FLAG_BROADCAST,
                      giaddr=ip4(giaddr), ciaddr=ip4(ciaddr),
                      options=((53, bytes((msg_type,))), (55, b"\x01\x03"), *extra))


def server_saw(frames, xid: int) -> list[v4.Message]:
    return [m for p, m in decode4(frames) if m.op == 1 and m.xid == xid and p.dport == 67]


# --- leases through the relay ---------------------------------------------------------------

@pytest.mark.parametrize("client", ["udhcpc", "dhclient"])
@pytest.mark.parametrize("with82", [False, True], ids=["no82", "option82"])
def test_client_gets_a_lease_through_the_relay(bed: Bed, client: str, with82: bool) -> None:
    flags = ["--downstream", "dhr0", "--upstream", "dhr1", "--server", "198.51.100.2"]
    if with82:
        flags += ["--option82", "replace", "--circuit-id", "hostname:ifname", "--remote-id", "string:rack-7"]
    name = f"{client}-{'82' if with82 else 'plain'}"
    server_cap = bed.capture(bed.server, "dhs0", f"server-{name}")
    client_cap = bed.capture(bed.client, "dhc0", f"client-{name}")
    relay = bed.start_relay(*flags, name=f"relay-{name}")
    try:
        lease = udhcpc(bed) if client == "udhcpc" else dhclient(bed)
    finally:
        doc = bed.stop_relay(relay)
        at_server, at_client = decode4(server_cap.stop()), decode4(client_cap.stop())
    assert ipaddress.ip_address(lease) in CLIENT_NET
    hostname = doc["relays"][0]["interfaces"] and bed.sh(bed.relay, "hostname").stdout.strip()
    requests = [m for p, m in at_server if m.op == 1]
    replies = [(p, m) for p, m in at_server if m.op == 2]
    assert requests and replies
    for msg in requests:
        assert msg.giaddr == ip4("192.0.2.1") and msg.hops >= 1
        if with82:
            assert msg.options[-1][0] == 82, "option 82 must be the last option"
            subs = option82.decode(msg.get(82))
            assert option82.find(subs, 1) == f"{hostname}:dhr0".encode()
            assert option82.find(subs, 2) == b"rack-7"
        else:
            assert msg.get(82) is None
    for packet, _ in replies:
        assert packet.dst == ip4("192.0.2.1") and packet.dport == 67
    delivered = [m for p, m in at_client if m.op == 2]
    assert delivered and all(m.get(82) is None for m in delivered)
    acks = [m for m in delivered if m.message_type == v4.MessageType.ACK]
    assert acks and ipaddress.ip_address(bytes(acks[-1].yiaddr)) in CLIENT_NET
    if with82:  # dnsmasq echoes option 82 (RFC 3046 §2.2); the relay removed it
        assert any(m.get(82) is not None for _, m in replies)
    c = counters(doc, "dhr0")
    assert c["relayed"] >= 2 and c["dropped"] == {}
