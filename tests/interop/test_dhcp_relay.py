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
import json
import re
import shutil
import time

import pytest

from chassisctl.dhcp import ipudp, option82, v4, v6
from chassisctl.dhcp.malformed import DecodeError
from chassisctl.dhcp.links import ip4

from interop.dhcp_bed import Bed, counters, wait_for
from interop.serve_fixture import need

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


# --- option 82 from clients: trusted, untrusted, and the four policies -------------------------

def _relay_with(bed: Bed, name: str, *flags: str):
    return bed.start_relay("--downstream", "dhr0", "--upstream", "dhr1", "--server", "198.51.100.2", *flags,
                           name=name)


def test_client_option82_on_an_untrusted_interface_is_dropped(bed: Bed) -> None:
    cap = bed.capture(bed.server, "dhs0", "untrusted")
    relay = _relay_with(bed, "relay-untrusted", "--option82", "append")
    try:
        bed.inject([request_frame(crafted(0x8201, extra=((82, b"\x01\x05evil!"),))),
                    request_frame(crafted(0x8202))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
    assert server_saw(frames, 0x8201) == []
    assert len(server_saw(frames, 0x8202)) == 1   # the control packet went through
    assert counters(doc, "dhr0")["dropped"] == {"untrusted_option82": 1}
    assert "untrusted option82" in relay.err()


@pytest.mark.parametrize("policy, expect", [
    ("append", ((1, b"bridge"), (1, b"dhr0"))),
    ("replace", ((1, b"dhr0"),)),
    ("forward", ((1, b"bridge"),)),
    ("discard", None),
])
def test_option82_policies_on_a_trusted_interface(bed: Bed, policy: str, expect) -> None:
    xid = 0x8300 + len(policy)
    cap = bed.capture(bed.server, "dhs0", f"policy-{policy}")
    relay = _relay_with(bed, f"relay-{policy}", "--option82", policy, "--trusted", "dhr0")
    try:
        bed.inject([request_frame(crafted(xid, extra=((82, b"\x01\x06bridge"),)))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
    seen = server_saw(frames, xid)
    if expect is None:
        assert seen == [] and counters(doc, "dhr0")["dropped"] == {"option82_policy": 1}
        return
    (msg,) = seen
    assert msg.options[-1][0] == 82 and [c for c, _ in msg.options].count(82) == 1
    assert option82.decode(msg.get(82)) == expect
    assert msg.giaddr == ip4("192.0.2.1") and msg.hops == 1


def test_request_from_another_relay_keeps_its_giaddr_and_82(bed: Bed) -> None:
    cap = bed.capture(bed.server, "dhs0", "lower-relay")
    relay = _relay_with(bed, "relay-lower", "--option82", "replace")
    sent = crafted(0x8401, hops=1, giaddr="192.0.2.77", extra=((82, b"\x01\x05lower"),))
    try:
        bed.inject([request_frame(sent, src="192.0.2.77", dst="192.0.2.1", dst_mac=_relay_mac(bed))])
        time.sleep(0.5)
    finally:
        bed.stop_relay(relay)
        frames = cap.stop()
    (msg,) = server_saw(frames, 0x8401)
    expected = v4.encode(sent)
    assert msg.hops == 2 and msg.giaddr == ip4("192.0.2.77")
    assert v4.encode(msg)[4:] == expected[4:]   # nothing but hops changed


def _relay_mac(bed: Bed) -> bytes:
    text = bed.sh(bed.relay, "cat", "/sys/class/net/dhr0/address").stdout.strip()
    return bytes.fromhex(text.replace(":", ""))


# --- link selection and server identifier override --------------------------------------------

def test_link_selection_and_server_id_override(bed: Bed) -> None:
    server_cap = bed.capture(bed.server, "dhs0", "linksel-server")
    client_cap = bed.capture(bed.client, "dhc0", "linksel-client")
    relay = _relay_with(bed, "relay-linksel", "--option82", "replace", "--link-selection", "dhr1",
                        "--server-id-override")
    try:
        lease = udhcpc(bed)
        # A renewal unicast to the relay (the server identifier it advertised) is relayed too.
        bed.inject([request_frame(crafted(0x8501, ciaddr=lease, msg_type=v4.MessageType.REQUEST),
                                  src=lease, dst="192.0.2.1", dst_mac=_relay_mac(bed))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        at_server, at_client = decode4(server_cap.stop()), decode4(client_cap.stop())
    assert ipaddress.ip_address(lease) in CLIENT_NET   # pool chosen by sub-option 5, not by giaddr
    requests = [m for p, m in at_server if m.op == 1]
    assert requests
    for msg in requests:
        subs = option82.decode(msg.get(82))
        assert msg.giaddr == ip4("198.51.100.1")
        assert option82.address(subs, 5) == ip4("192.0.2.1") and option82.address(subs, 11) == ip4("192.0.2.1")
    assert any(m.xid == 0x8501 and m.ciaddr == ip4(lease) for m in requests)
    acks = [m for p, m in at_client if m.op == 2 and m.message_type == v4.MessageType.ACK]
    assert acks and acks[0].get(v4.Opt.SERVER_ID) == ip4("192.0.2.1") and acks[0].get(82) is None
    assert counters(doc, "dhr0")["dropped"] == {}


# --- hops, rogue servers, bad packets ---------------------------------------------------------

def test_max_hops(bed: Bed) -> None:
    cap = bed.capture(bed.server, "dhs0", "hops")
    relay = _relay_with(bed, "relay-hops", "--max-hops", "2")
    try:
        bed.inject([request_frame(crafted(0x8602, hops=2)), request_frame(crafted(0x8603, hops=3))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
    assert [m.hops for m in server_saw(frames, 0x8602)] == [3]
    assert server_saw(frames, 0x8603) == []
    assert counters(doc, "dhr0")["dropped"] == {"max_hops": 1}


def test_replies_from_a_rogue_server_are_dropped(bed: Bed) -> None:
    bed.sh(bed.server, "ip", "addr", "add", "198.51.100.66/24", "dev", "dhs0", "nodad")
    cap = bed.capture(bed.client, "dhc0", "rogue")
    relay = _relay_with(bed, "relay-rogue")
    reply = v4.Message(op=2, xid=0x8701, chaddr=INJECTED_MAC.ljust(16, b"\0"), flags=v4.FLAG_BROADCAST,
                       giaddr=ip4("192.0.2.1"), yiaddr=ip4("192.0.2.99"),
                       options=((53, b"\x02"), (54, ip4("198.51.100.66"))))
    script = ("import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); "
              "s.bind((sys.argv[1],0)); s.sendto(bytes.fromhex(sys.argv[2]),('192.0.2.1',67))")
    try:
        import sys
        bed.sh(bed.server, sys.executable, "-c", script, "198.51.100.66", v4.encode(reply).hex())
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
        bed.sh(bed.server, "ip", "addr", "del", "198.51.100.66/24", "dev", "dhs0")
    assert [m for p, m in decode4(frames) if m.xid == 0x8701] == []
    assert counters(doc, "dhr1")["dropped"] == {"unknown_server": 1}


def test_bad_checksums_and_truncated_options_are_dropped_and_counted(bed: Bed) -> None:
    good = request_frame(crafted(0x8801))
    bad_udp = bytearray(request_frame(crafted(0x8802)))
    bad_udp[14 + 20 + 6] ^= 0x5A
    bad_ip = bytearray(request_frame(crafted(0x8803)))
    bad_ip[14 + 10] ^= 0x01
    payload = v4.encode(crafted(0x8804))
    end = payload.index(b"\xff", 240)
    truncated = ipudp.build_frame(ipudp.BROADCAST_MAC, INJECTED_MAC, bytes(4), b"\xff" * 4, 68, 67,
                                  payload[:end] + b"\x0c\x20short")
    cap = bed.capture(bed.server, "dhs0", "bad")
    relay = _relay_with(bed, "relay-bad")
    try:
        bed.inject([bytes(bad_udp), bytes(bad_ip), truncated, good])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
    assert [m.xid for m in (*server_saw(frames, 0x8802), *server_saw(frames, 0x8803),
                            *server_saw(frames, 0x8804))] == []
    assert len(server_saw(frames, 0x8801)) == 1
    c = counters(doc, "dhr0")
    assert c["dropped"] == {"bad_checksum": 2, "truncated": 1}
    assert c["received"] == 4 and c["relayed"] == 1


# --- two relays on one segment, overlapping interfaces, exit codes -------------------------------

def test_second_relay_on_the_same_segment_is_refused_and_no_duplicates_reach_the_server(bed: Bed) -> None:
    cap = bed.capture(bed.server, "dhs0", "twice")
    first = _relay_with(bed, "relay-first")
    try:
        second = bed.start_relay("--downstream", "dhr0", "--server", "198.51.100.2", name="relay-second",
                                 expect_ready=False)
        assert second.popen.wait(20) == 78
        assert "already serves dhr0" in second.err()
        bed.inject([request_frame(crafted(0x8901))])
        time.sleep(0.5)
    finally:
        bed.stop_relay(first)
        frames = cap.stop()
    assert len(server_saw(frames, 0x8901)) == 1


def test_overlapping_upstream_and_downstream_is_refused(bed: Bed) -> None:
    proc = bed.start_relay("--downstream", "dhr0", "--upstream", "dhr0", "--server", "198.51.100.2",
                           name="relay-overlap", expect_ready=False)
    assert proc.popen.wait(20) == 2
    assert "dhr0 is also downstream" in proc.err()


@pytest.mark.parametrize("flags, needle", [
    (["--downstream", "nosuch0"], "interface nosuch0 does not exist"),
    (["--downstream", "dhr0", "--giaddr", "192.0.2.200"], "giaddr 192.0.2.200 is not an address of dhr0"),
    (["--downstream", "lo"], None),
])
def test_missing_interface_or_address_is_exit_78(bed: Bed, flags, needle) -> None:
    if needle is None:  # an interface without IPv4: make one
        bed.sh(bed.relay, "ip", "link", "add", "noaddr0", "type", "veth", "peer", "name", "noaddr1")
        flags, needle = ["--downstream", "noaddr0"], "noaddr0 has no IPv4 address"
    proc = bed.start_relay(*flags, "--server", "198.51.100.2", name="relay-78", expect_ready=False)
    try:
        assert proc.popen.wait(20) == 78, proc.err()
        assert needle in proc.err()
    finally:
        bed.sh(bed.relay, "ip", "link", "del", "noaddr0", check=False)


def test_without_cap_net_raw_is_exit_77(bed: Bed) -> None:
    need("setpriv")
    import sys
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "chassisctl",
            "dhcp-relay", "start", "--downstream", "dhr0", "--server", "198.51.100.2"]
    done = bed.sh(bed.relay, *argv, check=False, timeout=30)
    assert done.returncode == 77, done.stderr
    assert "CAP_NET_RAW" in done.stderr


# --- interfaces that change while the relay runs -----------------------------------------------

def test_address_change_is_followed_without_restart(bed: Bed) -> None:
    cap = bed.capture(bed.server, "dhs0", "readdress")
    relay = _relay_with(bed, "relay-readdress")
    try:
        bed.sh(bed.relay, "ip", "addr", "add", "192.0.2.129/25", "dev", "dhr0", "nodad")
        bed.sh(bed.relay, "ip", "addr", "del", "192.0.2.1/24", "dev", "dhr0")
        time.sleep(0.5)
        bed.inject([request_frame(crafted(0x8A01))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
        bed.sh(bed.relay, "ip", "addr", "add", "192.0.2.1/24", "dev", "dhr0", "nodad", check=False)
        bed.sh(bed.relay, "ip", "addr", "del", "192.0.2.129/25", "dev", "dhr0", check=False)
    (msg,) = server_saw(frames, 0x8A01)
    assert msg.giaddr == ip4("192.0.2.129")
    assert doc["relays"][0]["addresses"]["dhr0"] == ["192.0.2.129/25"]


def test_mtu_raise_reopens_the_packet_ring(bed: Bed) -> None:
    """Ring slots are sized from the MTU at start: a larger MTU must reopen the socket, not cut frames."""
    links = ((bed.client, "dhc0"), (bed.relay, "dhr0"), (bed.relay, "dhr1"), (bed.server, "dhs0"))
    big = crafted(0x8B01, extra=tuple((43, bytes([n]) * 250) for n in range(10)))  # a ~2,800-byte DISCOVER
    cap = bed.capture(bed.server, "dhs0", "mtu")
    relay = _relay_with(bed, "relay-mtu")
    try:
        for ns, ifname in links:
            bed.sh(ns, "ip", "link", "set", ifname, "mtu", "9000")
        time.sleep(1.0)  # netlink settles, the relay reopens dhr0
        bed.inject([request_frame(big), request_frame(crafted(0x8B02))])
        time.sleep(0.5)
    finally:
        doc = bed.stop_relay(relay)
        frames = cap.stop()
        for ns, ifname in links:
            bed.sh(ns, "ip", "link", "set", ifname, "mtu", "1500", check=False)
    assert len(server_saw(frames, 0x8B01)) == 1 and len(server_saw(frames, 0x8B02)) == 1
    c = counters(doc, "dhr0")
    assert c["dropped"] == {} and c["relayed"] == 2
    assert "reopening the packet socket" in relay.err()


# --- DHCPv6 -------------------------------------------------------------------------------------

def decode6(frames: list[bytes]) -> list[tuple[int, int, bytes, v6.Message | v6.RelayMessage]]:
    """(sport, dport, source address, message) of the DHCPv6 datagrams in Ethernet frames."""
    out = []
    for frame in frames:
        if len(frame) < 14 + 40 + 8 or frame[12:14] != b"\x86\xdd" or frame[14 + 6] != 17:
            continue
        udp = frame[14 + 40:]
        sport, dport = int.from_bytes(udp[0:2], "big"), int.from_bytes(udp[2:4], "big")
        try:
            out.append((sport, dport, frame[14 + 8:14 + 24], v6.decode(udp[8:])))
        except DecodeError:
            continue
    return out


def test_dhclient6_gets_a_lease_through_the_relay(bed: Bed) -> None:
    server_cap = bed.capture(bed.server, "dhs0", "v6-server")
    client_cap = bed.capture(bed.client, "dhc0", "v6-client")
    relay = bed.start_relay("-6", "--downstream", "dhr0", "--upstream", "dhr1", "--server", "2001:db8:2::2",
                            "--remote-id", "string:rack-7", name="relay-v6")
    try:
        dhclient(bed, v6=True)
    finally:
        doc = bed.stop_relay(relay)
        at_server, at_client = decode6(server_cap.stop()), decode6(client_cap.stop())
    forwards = [m for _, dport, _, m in at_server if isinstance(m, v6.RelayMessage) and m.msg_type == 12]
    replies = [m for _, _, _, m in at_server if isinstance(m, v6.RelayMessage) and m.msg_type == 13]
    assert forwards and replies
    for msg in forwards:
        assert msg.hop_count == 0 and msg.link_address == ipaddress.ip_address("2001:db8:1::1").packed
        assert msg.get(v6.Opt6.INTERFACE_ID) == b"dhr0" and msg.get(v6.Opt6.RELAY_MSG)
        assert msg.get(v6.Opt6.REMOTE_ID) == b"\0\0\0\0rack-7"
        assert msg.peer_address[:2] == b"\xfe\x80"
    kinds = [m.msg_type for sport, dport, _, m in at_client if dport == 546]
    assert 7 in kinds  # Reply reached the client
    c = counters(doc, "dhr0")
    assert c["relayed"] >= 2 and c["dropped"] == {}


# --- the same relay as a service of serve --------------------------------------------------------

def _serve_config(bed: Bed, name: str, tables: str) -> tuple[str, str]:
    sock = str(bed.work / f"{name}.sock")
    path = bed.work / f"{name}.toml"
    path.write_text(f'[ipmi]\nenabled = false\n\n[serve]\nsocket = "{sock}"\n\n{tables}')
    return str(path), sock


SERVE_TABLES = '''
[[dhcp_relay]]
downstream = ["dhr0"]
upstream = ["dhr1"]
servers = ["198.51.100.2"]
option82 = "replace"
circuit_id = "string:vlan-100"

[[dhcp_relay]]
downstream = ["dhr0"]
upstream = ["dhr1"]
servers = ["2001:db8:2::2"]
ipv6 = true
'''


def test_serve_runs_several_relays_and_status_reads_their_counters(bed: Bed) -> None:
    import sys
    config, _sock = _serve_config(bed, "serve-relay", SERVE_TABLES)
    cap = bed.capture(bed.server, "dhs0", "serve-relay")
    serve = bed.spawn(bed.relay, [sys.executable, "-m", "chassisctl", "--config", config, "serve"], "serve-relay")
    try:
        wait_for(lambda: "ready:" in serve.err() or serve.popen.poll() is not None, 20, "serve")
        assert serve.popen.poll() is None, serve.err()
        assert "DHCP relay ipv4 dhr0" in serve.err() and "DHCP relay ipv6 dhr0" in serve.err()
        lease = udhcpc(bed)
        dhclient(bed, v6=True)
        done = bed.sh(bed.relay, sys.executable, "-m", "chassisctl", "--config", config, "dhcp-relay", "status",
                      "--json")
        doc = json.loads(done.stdout)
        table = bed.sh(bed.relay, sys.executable, "-m", "chassisctl", "--config", config, "dhcp-relay", "status")
    finally:
        assert bed.stop(serve) == 0, serve.err()
        frames = cap.stop()
    assert ipaddress.ip_address(lease) in CLIENT_NET
    assert doc["schema"] == 1 and [r["family"] for r in doc["relays"]] == ["ipv4", "ipv6"]
    for relay in doc["relays"]:
        c = relay["interfaces"]["dhr0"]
        assert c["received"] >= 2 and c["relayed"] >= 2 and isinstance(c["dropped"], dict)
    assert "dhr0" in table.stdout and "ipv6" in table.stdout
    requests = [m for p, m in decode4(frames) if m.op == 1]
    assert requests and all(option82.find(option82.decode(m.get(82)), 1) == b"vlan-100" for m in requests)


def test_serve_refuses_two_tables_on_one_segment(bed: Bed) -> None:
    import sys
    twice = SERVE_TABLES.replace("ipv6 = true\n", "")
    config, _ = _serve_config(bed, "serve-twice", twice.replace('"2001:db8:2::2"', '"203.0.113.2"'))
    done = bed.sh(bed.relay, sys.executable, "-m", "chassisctl", "--config", config, "serve", check=False,
                  timeout=30)
    assert done.returncode == 78, done.stderr
    # serve builds one unit per table, so the refusal comes from the per-interface lock.
    assert "already serves dhr0" in done.stderr or "dhr0 is already downstream in dhcp_relay[0]" in done.stderr



_SCRAPE = """
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
for family in text_string_to_metric_families(text):
    for s in family.samples:
        if s.name.startswith("chassisctl_dhcp_relay_"):
            print(json.dumps([s.name, s.labels, s.value]))
"""


def test_serve_exports_relay_counters_on_metrics(bed: Bed) -> None:
    """/metrics carries received, relayed and dropped{reason} per relay instance and interface."""
    import sys
    tables = SERVE_TABLES + '\n[metrics]\nlisten = "127.0.0.1:0"\ninterval = 1\n'
    config, _sock = _serve_config(bed, "serve-metrics", tables)
    serve = bed.spawn(bed.relay, [sys.executable, "-m", "chassisctl", "--config", config, "serve"], "serve-metrics")
    bad = bytearray(request_frame(crafted(0x9901)))
    bad[14 + 20 + 6] ^= 0x5A  # a wrong UDP checksum
    try:
        wait_for(lambda: "ready:" in serve.err() or serve.popen.poll() is not None, 20, "serve")
        assert serve.popen.poll() is None, serve.err()
        url = wait_for(lambda: re.search(r"(http://[\d.]+:\d+/metrics)", serve.err()), 10, "the metrics line")[1]
        udhcpc(bed)
        dhclient(bed, v6=True)
        bed.inject([bytes(bad), bytes(bad)])
        time.sleep(0.3)
        lines = bed.sh(bed.relay, sys.executable, "-c", _SCRAPE, url).stdout.splitlines()
        doc = json.loads(bed.sh(bed.relay, sys.executable, "-m", "chassisctl", "--config", config, "dhcp-relay",
                                "status", "--json").stdout)
    finally:
        assert bed.stop(serve) == 0, serve.err()
    samples: dict[tuple, float] = {}
    for line in lines:
        name, labels, value = json.loads(line)
        samples[(name, labels["relay"], labels["interface"], labels.get("reason"))] = value
    # One family per counter, labelled by instance ("v4 dhr0", "v6 dhr0") and arrival interface.
    assert {key[1] for key in samples} == {"v4 dhr0", "v6 dhr0"}
    for relay in ("v4 dhr0", "v6 dhr0"):
        assert samples[("chassisctl_dhcp_relay_received_total", relay, "dhr0", None)] >= 2
        assert samples[("chassisctl_dhcp_relay_relayed_total", relay, "dhr0", None)] >= 2
        assert samples[("chassisctl_dhcp_relay_received_total", relay, "dhr1", None)] >= 2  # the server's replies
    assert samples[("chassisctl_dhcp_relay_dropped_total", "v4 dhr0", "dhr0", "bad_checksum")] == 2
    # The same counters as dhcp-relay status, read just after (so never below the scrape).
    for relay_doc, relay in zip(doc["relays"], ("v4 dhr0", "v6 dhr0"), strict=True):
        for ifname, c in relay_doc["interfaces"].items():
            assert samples[("chassisctl_dhcp_relay_received_total", relay, ifname, None)] <= c["received"]
            assert samples[("chassisctl_dhcp_relay_relayed_total", relay, ifname, None)] <= c["relayed"]
            for reason, n in c["dropped"].items():
                assert 0 < samples.get(("chassisctl_dhcp_relay_dropped_total", relay, ifname, reason), n) <= n
