"""chassisctl's LLDP agent against real lldpd 1.0.16 peers in network namespaces.

Topology: DUT ports port1..3 cabled (veth) to lldp-peer1..3, whose port ids
use three subtypes: MAC (lldpd's default), ifname (``eth0``) and local
(``peer3-port-A``).  Peers speak every second with TTL 4 s; our agent
speaks every second with TTL 31 s (tx_hold 30), so a peer dropping us within
a few seconds proves it heard our shutdown LLDPDU rather than aged us out.
The tests run in order on one lab: rx, tx, ageing, shutdown, our stop.
"""

from __future__ import annotations

import signal
import time

import pytest

from interop.lldp_lab import Lab, need_lab, peer_mac, wait_for

pytestmark = [pytest.mark.interop, pytest.mark.root]

PEER_CONFIG = {
    1: [],
    2: ["configure lldp portidsubtype ifname"],
    3: ["configure ports eth0 lldp portidsubtype local peer3-port-A description peer3-uplink"],
}
EXPECTED = {  # local port -> (chassis id, port id, port id subtype, port description)
    "port1": (peer_mac(1), peer_mac(1), "mac", "eth0"),
    "port2": (peer_mac(2), "eth0", "ifname", "eth0"),
    "port3": (peer_mac(3), "peer3-port-A", "local", "peer3-uplink"),
}


@pytest.fixture(scope="module")
def lab():
    need_lab("lldpd", "lldpcli", "pgrep")
    lab = Lab(3)
    try:
        for peer in lab.peers:
            peer.start(PEER_CONFIG[peer.n])
        lab.agent = lab.dut_agent(ports=["port1", "port2", "port3"], tx_interval=1, tx_hold=30,
                                  system_name="chassisctl-dut").start()
        yield lab
    finally:
        lab.close()


def by_port(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["local_port"], []).append(r)
    return out


def three_peers(lab) -> dict[str, list[dict]] | None:
    table = by_port(lab.agent.neighbors())
    return table if sorted(table) == ["port1", "port2", "port3"] else None


def test_rx_lists_exactly_the_three_peers(lab) -> None:
    table = wait_for(lambda: three_peers(lab), 15)
    assert table, lab.agent.log()
    for port, (chassis, port_id, subtype, descr) in EXPECTED.items():
        (record,) = table[port]
        n = int(port[-1])
        assert record["system_name"] == f"lldp-peer{n}"
        assert (record["chassis_id"], record["chassis_id_subtype"]) == (chassis, "mac")
        assert (record["port_id"], record["port_id_subtype"]) == (port_id, subtype)
        assert record["port_description"] == descr
        assert record["ttl"] == 4 and 0 <= record["expires_in_s"] <= 4
        assert record["capabilities"] == {"supported": ["bridge", "wlan-ap", "router", "station"],
                                          "enabled": ["station"]}
        assert record["source_mac"] == peer_mac(n)
        assert record["mac_phy"] is not None and record["unknown_tlvs"] == [] and record["discarded_tlvs"] == []


def test_tx_each_lldpd_lists_us_with_our_port_names(lab) -> None:
    def seen():
        tables = [p.neighbors() for p in lab.peers]
        return tables if all(len(t) == 1 for t in tables) else None

    tables = wait_for(seen, 15)
    assert tables, [p.neighbors() for p in lab.peers]
    chassis = {t[0]["chassis_id"] for t in tables}
    assert len(chassis) == 1                                       # one chassis id on every port
    for peer, (entry,) in zip(lab.peers, tables, strict=True):
        assert entry["interface"] == "eth0" and entry["name"] == "chassisctl-dut"
        assert (entry["port_type"], entry["port_id"]) == ("ifname", f"port{peer.n}")
        assert entry["ttl"] == 31 and entry["chassis_type"] == "mac"
        assert entry["descr"] == f"port{peer.n}"


def test_a_silent_peer_ages_out_within_its_ttl_and_only_there(lab) -> None:
    assert wait_for(lambda: three_peers(lab), 15)
    peer1 = lab.peers[0]
    peer1.kill(signal.SIGSTOP)
    try:
        stopped = time.monotonic()
        time.sleep(1.0)
        assert "port1" in by_port(lab.agent.neighbors())            # no premature deletion
        gone = wait_for(lambda: "port1" not in by_port(lab.agent.neighbors()), 4 + 3)
        assert gone, lab.agent.neighbors()
        assert time.monotonic() - stopped <= 4 + 3
        assert sorted(by_port(lab.agent.neighbors())) == ["port2", "port3"]
        result = lab.agent.query("lldp.neighbors")
        assert [d["reason"] for d in result["departed"] if d["local_port"] == "port1"] == ["ttl-expired"]
        assert lab.agent.query("lldp.statistics")["ports"]["port1"]["ageouts"] == 1
    finally:
        peer1.kill(signal.SIGCONT)
    assert wait_for(lambda: "port1" in by_port(lab.agent.neighbors()), 10)   # re-learned


def test_a_peer_shutdown_frame_removes_it_at_once_on_its_port_only(lab) -> None:
    peer2 = lab.peers[1]
    peer2.cli("configure", "lldp", "tx-hold", "60")
    peer2.cli("update")
    assert wait_for(lambda: [r for r in lab.agent.neighbors() if r["local_port"] == "port2" and r["ttl"] == 60], 10)
    assert wait_for(lambda: three_peers(lab), 10)
    start = time.monotonic()
    peer2.stop(signal.SIGTERM)
    assert wait_for(lambda: "port2" not in by_port(lab.agent.neighbors()), 3), lab.agent.neighbors()
    assert time.monotonic() - start < 3.5                           # TTL was 60 s: it was the shutdown frame
    assert sorted(by_port(lab.agent.neighbors())) == ["port1", "port3"]
    departed = lab.agent.query("lldp.neighbors")["departed"]
    assert [d["reason"] for d in departed if d["local_port"] == "port2"] == ["shutdown"]
    peer2.start()
    assert wait_for(lambda: "port2" in by_port(lab.agent.neighbors()), 15)


def test_statistics_count_frames_both_ways(lab) -> None:
    def enough():
        stats = lab.agent.query("lldp.statistics")
        return stats if all(stats["ports"][p]["frames_in"] > 3 for p in ("port1", "port2", "port3")) else None

    stats = wait_for(enough, 10) or lab.agent.query("lldp.statistics")
    for port in ("port1", "port2", "port3"):
        p = stats["ports"][port]
        assert p["frames_in"] > 3 and p["frames_out"] > 3 and p["frames_discarded"] == 0, stats
    done = lab.agent.cli("lldp", "statistics")
    assert done.returncode == 0 and "port1" in done.stdout, done.stderr


def test_our_graceful_stop_makes_each_lldpd_drop_us_at_once(lab) -> None:
    assert wait_for(lambda: all(len(p.neighbors()) == 1 for p in lab.peers), 15)
    start = time.monotonic()
    assert lab.agent.stop() == 0
    assert wait_for(lambda: all(p.neighbors() == [] for p in lab.peers), 3), [p.neighbors() for p in lab.peers]
    assert time.monotonic() - start < 4                               # our TTL was 31 s
    assert "Traceback" not in lab.agent.log()
