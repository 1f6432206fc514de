"""serve with every service on, as on a chassis: start, use, reload, scrape, query, stop.

In the DHCP test bed (client ↔ relay ↔ server namespaces), serve runs in
the relay namespace with the IPMI side on the simulator (loopback), the
LLDP agent on the client-facing port, a DHCPv4 relay to dnsmasq, metrics
and the control socket.  The client side announces itself over LLDP and
takes a lease through the relay; then a reload that touches only
[metrics] must keep the LLDP neighbour (its age keeps growing: not
re-learned) and the relay's counters; the CLI and a Prometheus scrape see
it all; SIGTERM stops everything within 5 s and the LLDP agent's last
frame is a shutdown LLDPDU (TTL 0).
"""

from __future__ import annotations

import json
import re
import signal
import struct
import sys
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from interop.dhcp_bed import Bed, wait_for
from interop.serve_fixture import need

pytestmark = [pytest.mark.interop, pytest.mark.root]

PEER_MAC = bytes.fromhex("020000000aa1")


def lldpdu(ttl: int = 3600) -> bytes:
    def tlv(kind: int, value: bytes) -> bytes:
        return struct.pack("!H", kind << 9 | len(value)) + value

    body = (tlv(1, b"\x04" + PEER_MAC) + tlv(2, b"\x05eth0") + tlv(3, struct.pack("!H", ttl))
            + tlv(5, b"client-host") + tlv(0, b""))
    return b"\x01\x80\xc2\x00\x00\x0e" + PEER_MAC + b"\x88\xcc" + body


CONFIG = """\
[ipmi]
listen = "127.0.0.1:0"

[[ipmi.users]]
name = "admin"
password = "password"
privilege = "administrator"

[serve]
socket = "{sock}"

[metrics]
listen = "127.0.0.1:0"
interval = {interval}

[lldp]
ports = ["dhr0"]
tx_interval = 1

[[dhcp_relay]]
downstream = ["dhr0"]
upstream = ["dhr1"]
servers = ["198.51.100.2"]
"""


@pytest.fixture
def bed(tmp_path):
    bed = Bed(tmp_path).create()
    try:
        yield bed
    finally:
        bed.destroy()


def test_every_service_started_used_reloaded_scraped_queried_and_stopped(bed: Bed) -> None:
    need("tcpdump")
    config = bed.work / "chassisctl.toml"
    sock = bed.work / "control.sock"
    config.write_text(CONFIG.format(sock=sock, interval=1))
    config.chmod(0o600)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(bed.work), "CHASSISCTL_SIM_PACE": "0",
           "XDG_STATE_HOME": str(bed.work / "state"), "XDG_CACHE_HOME": str(bed.work / "cache")}
    cli = [sys.executable, "-m", "chassisctl", "--config", str(config)]
    bed.dnsmasq()
    lldp_capture = bed.spawn(bed.client, ["tcpdump", "-i", "dhc0", "-n", "-U", "--immediate-mode", "-w",
                                          str(bed.work / "lldp.pcap"), "ether proto 0x88cc"], "tcpdump-lldp")
    wait_for(lambda: "listening on" in lldp_capture.err(), 10, "tcpdump")
    serve = bed.spawn(bed.relay, [*cli, "serve"], "serve", env=env)
    wait_for(lambda: "ready:" in serve.err() or serve.popen.poll() is not None, 30, "serve")
    assert serve.popen.poll() is None, serve.err()
    ready = serve.err()
    for what in ("IPMI over LAN on 127.0.0.1:", "LLDP on dhr0", "DHCP relay ipv4 dhr0", "metrics on http://"):
        assert what in ready, ready
    metrics_url = re.search(r"(http://127\.0\.0\.1:\d+/metrics)", ready).group(1)

    def status() -> dict:
        done = bed.sh(bed.relay, *cli, "status", "--json", env=env)
        return json.loads(done.stdout)

    def scrape() -> dict:
        script = f"import urllib.request;print(urllib.request.urlopen({metrics_url!r}, timeout=5).read().decode())"
        text = bed.sh(bed.relay, sys.executable, "-c", script).stdout
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for f in text_string_to_metric_families(text) for s in f.samples}

    try:
        # use: a neighbour announces itself, a client takes a lease through the relay
        bed.inject([lldpdu()])
        wait_for(lambda: status_neighbours(status()), 10, "the LLDP neighbour")
        from interop.test_dhcp_relay import udhcpc

        lease = udhcpc(bed)
        assert lease.startswith("192.0.2.")
        before = status()
        (neighbour,) = status_neighbours(before)
        assert neighbour["local_port"] == "dhr0" and neighbour["system_name"] == "client-host"
        relayed = relay_counters(before)["relayed"]
        assert relayed >= 2
        names = {s["name"]: s["state"] for s in before["services"]}
        assert names == {"ipmi-lan": "up", "lldp": "up", "dhcp_relay": "up", "metrics": "up"}, names
        assert before["nodes"][0]["power"] == "on"

        # reload touching only [metrics]: the neighbour and the counters stay
        time.sleep(1.5)
        config.write_text(CONFIG.format(sock=sock, interval=2))
        mark = len(serve.err().splitlines())
        serve.popen.send_signal(signal.SIGHUP)
        wait_for(lambda: any("reloaded:" in line for line in serve.err().splitlines()[mark:]), 10, "the reload")
        line = next(x for x in serve.err().splitlines()[mark:] if "reloaded:" in x)
        assert "unchanged: ipmi, lldp, dhcp_relay" in line, line
        after = status()
        assert after["reloads"] == 1
        (kept,) = status_neighbours(after)
        assert kept["age_s"] > neighbour["age_s"] + 1  # the same entry, older: not learned again
        assert relay_counters(after)["relayed"] >= relayed
        metrics_url = re.search(r"(http://127\.0\.0\.1:\d+/metrics)", line).group(1)

        # scrape and query
        samples = scrape()
        assert samples[("ipmi_up", (("collector", "ipmi"), ("node", "bmc")))] == 1
        assert samples[("chassisctl_lldp_neighbors", (("port", "dhr0"),))] == 1
        assert samples[("chassisctl_service_up", (("service", "dhcp_relay"),))] == 1
        neighbors = json.loads(bed.sh(bed.relay, *cli, "lldp", "neighbors", "--json", env=env).stdout)
        assert [n["system_name"] for n in neighbors["neighbors"]] == ["client-host"]
        relay_doc = json.loads(bed.sh(bed.relay, *cli, "dhcp-relay", "status", "--json", env=env).stdout)
        assert relay_doc["relays"][0]["interfaces"]["dhr0"]["relayed"] >= relayed
        text = bed.sh(bed.relay, *cli, "status", env=env).stdout
        assert re.search(r"(?m)^dhr0\s+client-host\s+eth0\s+", text), text
    finally:
        started = time.monotonic()
        rc = bed.stop(serve, signal.SIGTERM, 10)
        took = time.monotonic() - started
    assert rc == 0 and took < 5.0, (rc, took, serve.err())
    assert not sock.exists()
    time.sleep(0.3)
    bed.stop(lldp_capture, signal.SIGINT)
    from interop import pcap

    _, records = pcap.read(bed.work / "lldp.pcap")
    ours = [frame for _, frame in records if frame[6:12] != PEER_MAC]
    assert ours, "serve sent no LLDPDU"
    assert lldp_ttl(ours[-1]) == 0  # the last one: the shutdown LLDPDU


def status_neighbours(doc: dict) -> list[dict]:
    return [n for s in doc["services"] for n in s.get("neighbors") or []]


def relay_counters(doc: dict) -> dict:
    (relay,) = [r for s in doc["services"] for r in s.get("relays") or []]
    return relay["interfaces"]["dhr0"]


def lldp_ttl(frame: bytes) -> int:
    offset = 14
    while offset + 2 <= len(frame):
        header = struct.unpack_from("!H", frame, offset)[0]
        kind, length = header >> 9, header & 0x1FF
        if kind == 3:
            return struct.unpack_from("!H", frame, offset + 2)[0]
        offset += 2 + length
    raise AssertionError("no TTL TLV")
