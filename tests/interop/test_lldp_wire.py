"""The LLDP agent on the wire: LLDP-MED and management addresses from lldpd, our frames in
tcpdump's printer, --listen without an agent, and bad input that must not stop the agent."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from interop.lldp_lab import Lab, need_lab, sh, wait_for

from lldp.pcapfile import frames

pytestmark = [pytest.mark.interop, pytest.mark.root]

MED_CONFIG = [
    "configure med policy application voice vlan 100 priority voice dscp 46",
    "configure med location coordinate latitude 48.85667N longitude 2.2014E altitude 117.47 m datum WGS84",
    'configure med location address country FR language en_US street "Commercial Road" city Paris',
    "configure med power pd source pse priority high value 5000",
    "configure system ip management pattern 192.0.2.11,2001:db8::11",
]

SENDER = r"""
import socket, sys
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind(("eth0", 0))
for hex_frame in sys.argv[1:]:
    sock.send(bytes.fromhex(hex_frame))
"""


@pytest.fixture(scope="module")
def lab():
    need_lab("lldpd", "lldpcli", "pgrep", "tcpdump")
    lab = Lab(2)
    try:
        peer1 = lab.peers[0]
        sh("ip", "-n", peer1.ns, "addr", "add", "192.0.2.11/24", "dev", "eth0")
        sh("ip", "-n", peer1.ns, "addr", "add", "2001:db8::11/64", "dev", "eth0", "nodad")
        peer1.start(MED_CONFIG, ["-M", "3"])
        sh("ip", "-n", lab.dut, "addr", "add", "192.0.2.1/24", "dev", "port1")
        lab.agent = lab.dut_agent(ports=["port1", "port2", "port9"], tx_interval=1, tx_hold=4, med=True,
                                  system_name="chassisctl-dut", port_vlan_id=10,
                                  vlans=[{"vid": 100, "name": "voice"}], max_frame_size=9216,
                                  med_policies=[{"application": "voice", "vlan": 100, "priority": 5,
                                                 "dscp": 46}]).start()
        yield lab
    finally:
        lab.close()


def port1(lab) -> dict | None:
    records = [r for r in lab.agent.neighbors() if r["local_port"] == "port1"]
    return records[0] if records and records[0]["med"] and len(records[0]["management_addresses"]) == 2 else None


def test_med_and_several_management_addresses_are_all_decoded(lab) -> None:
    record = wait_for(lambda: port1(lab), 15)
    assert record, lab.agent.neighbors()
    assert [(m["address"], m["family"]) for m in record["management_addresses"]] == [
        ("192.0.2.11", "ipv4"), ("2001:db8::11", "ipv6")]
    med = record["med"]
    assert med["capabilities"]["device_type"] == "endpoint-class-3"
    assert med["policies"] == [{"application": "voice", "unknown": False, "tagged": False, "vlan": 100,
                                "priority": 5, "dscp": 46}]
    formats = {loc["format"]: loc for loc in med["locations"]}
    assert formats["coordinate"]["latitude"] == pytest.approx(48.85667, abs=1e-4)
    assert formats["coordinate"]["longitude"] == pytest.approx(2.2014, abs=1e-4)
    assert {e["type"]: e["value"] for e in formats["civic"]["elements"]} == {
        "language": "en_US", "city": "Paris", "street": "Commercial Road"}
    assert formats["civic"]["country"] == "FR"
    assert med["power"] == {"power_type": "pd", "source": "pse", "priority": "high", "watts": 5.0}
    assert med["inventory"]["software-revision"]
    assert record["capabilities"]["enabled"] == ["telephone"]


def test_lldpd_decodes_our_frames_including_med_once_it_spoke_med(lab) -> None:
    def ours():
        detail = lab.peers[0].cli("-f", "json0", "show", "neighbors", "details")
        return detail if "chassisctl-dut" in detail and "LLDP-MED" in detail.replace("lldp-med", "LLDP-MED") else None

    detail = wait_for(ours, 15)
    assert detail, lab.peers[0].cli("show", "neighbors", "details")
    doc = json.loads(detail)
    (iface,) = doc["lldp"][0]["interface"]
    assert iface["port"][0]["id"][0] == {"type": "ifname", "value": "port1"}
    assert iface["chassis"][0]["mgmt-ip"][0]["value"] == "192.0.2.1"
    text = lab.peers[0].cli("show", "neighbors", "details")
    assert "VLAN:         10, pvid: yes voice" in text or re.search(r"VLAN:\s+100.*voice", text), text
    assert re.search(r"MFS:\s+9216", text), text
    assert re.search(r"Network Policy", text) and "Voice" in text, text


def test_tcpdump_prints_our_frames_cleanly(lab) -> None:
    done = sh("timeout", "10", "ip", "netns", "exec", lab.peers[1].ns, "tcpdump", "-i", "eth0", "-c", "2", "-vv",
              "-nn", "ether proto 0x88cc", check=False, timeout=20)
    out = done.stdout
    assert out.count("LLDP, length") == 2, done.stdout + done.stderr
    assert "System Name TLV (5), length 14: chassisctl-dut" in out
    assert "Subtype Interface Name (5): port2" in out
    assert "TTL 5s" in out and "End TLV (0), length 0" in out
    for bad in ("malformed", "[|LLDP]", "invalid", "unknown", "Unknown"):
        assert bad not in out, out


def test_listen_captures_without_an_agent(lab) -> None:
    done = lab.agent.cli("--json", "lldp", "neighbors", "--listen", "3", "--port", "port1", netns=True)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["source"] == "listen"
    assert [(r["local_port"], r["system_name"]) for r in doc["neighbors"]] == [("port1", "lldp-peer1")]


def test_truncated_and_malformed_frames_are_counted_and_the_agent_keeps_going(lab) -> None:
    assert wait_for(lambda: port1(lab), 15)
    bad = frames("synth-malformed.pcap")[:2]                                   # over-long TLV, no TTL
    truncated = frames("lldpd-default.pcap")[0][:40]                           # cut inside a TLV
    sh("ip", "netns", "exec", lab.peers[1].ns, sys.executable, "-c", SENDER, *(f.hex() for f in bad + [truncated]))

    def counted():
        reasons = lab.agent.query("lldp.statistics")["ports"]["port2"]["discard_reasons"]
        return reasons if reasons["tlv-overrun"] >= 2 and reasons["missing-ttl"] >= 1 else None

    reasons = wait_for(counted, 5)
    assert reasons, lab.agent.query("lldp.statistics")
    assert lab.agent.proc.poll() is None
    assert port1(lab)                                                          # the table is intact
    log = lab.agent.log()
    assert "discarded a malformed LLDPDU (tlv-overrun)" in log and "Traceback" not in log


def test_an_unknown_port_is_reported_and_the_rest_runs(lab) -> None:
    assert "port port9: no such network interface; waiting for it to appear" in lab.agent.log()
    assert lab.agent.query("lldp.neighbors")["ports"] == ["port1", "port2"]
    done = lab.agent.cli("lldp", "neighbors", "--port", "port9")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "does not run on that port" in done.stderr and "port1, port2" in done.stderr
    # It joins when it appears.
    sh("ip", "-n", lab.dut, "link", "add", "port9", "type", "veth", "peer", "name", "port9b")
    sh("ip", "-n", lab.dut, "link", "set", "port9b", "up")
    sh("ip", "-n", lab.dut, "link", "set", "port9", "up")
    assert wait_for(lambda: "port9" in lab.agent.query("lldp.neighbors")["ports"], 5), lab.agent.log()
    # And leaves when it goes.
    sh("ip", "-n", lab.dut, "link", "del", "port9")
    assert wait_for(lambda: "port9" not in lab.agent.query("lldp.neighbors")["ports"], 5), lab.agent.log()
    assert lab.agent.proc.poll() is None


def test_serve_without_cap_net_raw_says_so(lab) -> None:
    need_lab("setpriv")
    dut = lab.dut_agent(ports=["port2"], tx_interval=1)
    dut.dir.chmod(0o777)
    argv = ["ip", "netns", "exec", lab.dut, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            "--inh-caps=-all", sys.executable, "-m", "chassisctl", "--config", str(dut.config), "serve"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=dut.env(), stdin=subprocess.DEVNULL)
    assert done.returncode == 77, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert errors and "CAP_NET_RAW" in done.stderr and "Traceback" not in done.stderr, done.stderr
    listen = subprocess.run(argv[:-5] + ["-m", "chassisctl", "lldp", "neighbors", "--listen", "1", "--port", "port2"],
                            capture_output=True, text=True, timeout=30, env=dut.env(), stdin=subprocess.DEVNULL)
    assert listen.returncode == 77 and listen.stderr.count("\n") == 1, listen.stderr
    assert "CAP_NET_RAW" in listen.stderr
