"""The agent's state machine on a fake clock: table, ageing, shutdown, transmit timers, statistics."""

from __future__ import annotations

from itertools import pairwise
import random

import pytest

from chassisctl.lldp import org
from chassisctl.lldp.agent import Agent, AgentConfig, FrameDiscarded, NeighborAdded, NeighborChanged, NeighborRemoved
from chassisctl.lldp.frame import build_frame, split_frame
from chassisctl.lldp.tlv import (
    Capabilities, ChassisId, Lldpdu, ManagementAddress, PortId, SystemName, Ttl, decode_lldpdu, encode_lldpdu)

from lldp.pcapfile import frames

OUR_CHASSIS = ChassisId(4, bytes.fromhex("020000000001"))
MAC = {f"port{i}": bytes.fromhex(f"0200000000{i:02x}") for i in range(1, 200)}


def agent(**kw) -> Agent:
    cfg = AgentConfig(chassis_id=OUR_CHASSIS, system_name="dut", system_description="chassisctl test", **kw)
    return Agent(cfg, rng=random.Random(7))


def peer_frame(n: int, ttl: int = 120, *, name: str | None = None, port: bytes = b"eth0", extra=()) -> bytes:
    pdu = Lldpdu((ChassisId(4, bytes.fromhex(f"0200000000{n:02x}") + b""), PortId(5, port), Ttl(ttl),
                  SystemName(name or f"peer{n}"), Capabilities(0x14, 0x10), *extra))
    return build_frame(bytes.fromhex(f"0200000001{n:02x}"), encode_lldpdu(pdu))


def run_until(a: Agent, now: float, end: float) -> list[tuple[float, str, bytes]]:
    """Drive the timers from ``now`` to ``end``; every frame sent, with its time."""
    sent = []
    while True:
        when = a.get_timer()
        if when is None or when > end:
            return sent
        now = max(now, when)
        a.handle_timer(now)
        sent += [(now, port, frame) for port, frame in a.frames_to_send(now)]


def decoded(frame: bytes) -> Lldpdu:
    return decode_lldpdu(split_frame(frame).payload)


# --- transmit -------------------------------------------------------------------------------

def test_fast_start_then_the_interval_with_jitter() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 100.0, ifindex=3)
    times = [t for t, _, _ in run_until(a, 100.0, 200.0)]
    assert len(times) >= 5
    assert times[0] < 101.0                                      # first frame within a second
    gaps = [b - a_ for a_, b in pairwise(times)]
    assert gaps[:3] == pytest.approx([1.0, 1.0, 1.0])            # txFastInit = 4 frames, msgFastTx apart
    assert all(27.0 <= g <= 30.0 for g in gaps[3:]), gaps       # then msgTxInterval, up to 10 % early


def test_our_lldpdu() -> None:
    a = agent(management_addresses=(ManagementAddress(1, bytes([192, 0, 2, 1]), 2, 3),),
              extra_tlvs=(org.PortVlanId(10), org.MaxFrameSize(9216)))
    a.add_port("port1", MAC["port1"], 0.0, ifindex=3, description="uplink")
    ((_, port, frame),) = run_until(a, 0.0, 0.99)
    eth = split_frame(frame)
    assert port == "port1" and eth.src == MAC["port1"] and eth.dst.hex() == "0180c200000e"
    pdu = decode_lldpdu(eth.payload)
    assert pdu.chassis_id == OUR_CHASSIS and pdu.port_id == PortId(5, b"port1")
    assert pdu.ttl == 30 * 4 + 1                                # min(65535, msgTxInterval * msgTxHold + 1)
    assert pdu.first(SystemName).text == "dut"
    assert pdu.first(org.PortVlanId).vid == 10 and pdu.first(org.MaxFrameSize).size == 9216
    assert pdu.first(ManagementAddress).text == "192.0.2.1"


@pytest.mark.parametrize("subtype,value", [("mac", MAC["port1"]), ("local", b"3"), ("ifname", b"port1")])
def test_port_id_subtypes(subtype: str, value: bytes) -> None:
    a = agent(port_id_subtype=subtype)
    a.add_port("port1", MAC["port1"], 0.0, ifindex=3)
    ((_, _, frame),) = run_until(a, 0.0, 0.99)
    assert decoded(frame).port_id.value == value


def test_credit_bounds_a_burst_of_local_changes() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    run_until(a, 0.0, 10.0)
    sent = []
    for i in range(20):  # twenty changes within 0.2 s
        a.local_change(10.0 + i * 0.01)
        sent += run_until(a, 10.0 + i * 0.01, 10.0 + i * 0.01)
    assert len(sent) == 5                                       # txCreditMax
    later = run_until(a, 10.2, 11.5)
    assert 1 <= len(later) <= 2                                 # one credit back per second


def test_hundreds_of_ports_do_not_transmit_together() -> None:
    a = agent(tx_interval=1)
    for i in range(1, 150):
        a.add_port(f"port{i}", MAC[f"port{i}"], 0.0)
    sent = run_until(a, 0.0, 20.0)
    from collections import Counter

    per_instant = Counter(round(t, 3) for t, _, _ in sent if t > 10.0)
    assert sum(per_instant.values()) >= 149 * 9                 # every port, about every second
    assert len(per_instant) >= 40                               # every instant of the quarter-second grid
    assert max(per_instant.values()) <= 60                      # about a quarter each, never all 149

    a = agent(tx_interval=30)                                   # the default interval: spread much wider
    for i in range(1, 151):
        a.add_port(f"port{i}", MAC[f"port{i}"], 0.0)
    sent = run_until(a, 0.0, 600.0)
    per_instant = Counter(round(t, 3) for t, _, _ in sent if t > 540.0)
    assert sum(per_instant.values()) >= 150 * 2
    assert len(per_instant) >= 60 and max(per_instant.values()) <= 20


def test_a_late_wake_up_does_not_delay_the_schedule() -> None:
    """The caller wakes a little after each deadline (a busy loop): the
    intervals still count from when each frame was due."""
    a = agent(tx_interval=1)
    a.add_port("port1", MAC["port1"], 0.0)
    due, now = [], 0.0
    while now < 100.0:
        when = a.get_timer()
        now = when + 0.02
        a.handle_timer(now)
        if a.frames_to_send(now):
            due.append(when)
    gaps = [b - a_ for a_, b in pairwise(due[4:])]
    assert len(gaps) >= 90 and all(0.9 <= g <= 1.0 for g in gaps), gaps


def test_graceful_shutdown_sends_ttl_zero_on_every_port() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    a.add_port("port2", MAC["port2"], 0.0)
    run_until(a, 0.0, 2.0)
    out = a.shutdown(2.5)
    assert sorted(p for p, _ in out) == ["port1", "port2"]
    for port, frame in out:
        pdu = decoded(frame)
        assert pdu.ttl == 0 and len(pdu.tlvs) == 3 and pdu.port_id.value == port.encode()
        assert len(split_frame(frame).payload) == 9 + 3 + len(port) + 4 + 2   # ids, TTL 0, End
    assert run_until(a, 2.5, 100.0) == []                       # and silence afterwards
    assert a.statistics()["totals"]["shutdowns_out"] == 2


def test_removing_a_port_says_goodbye_and_identity_change_too() -> None:
    a = agent(port_id_subtype="mac")
    a.add_port("port1", MAC["port1"], 0.0)
    a.add_port("port2", MAC["port2"], 0.0)
    run_until(a, 0.0, 1.0)
    a.add_port("port1", bytes.fromhex("02000000aaaa"), 1.5)     # new MAC: new port id
    first, *rest = [decoded(f) for _, p, f in run_until(a, 1.5, 1.5) + [(0, "", f) for _, f in a.frames_to_send()]]
    (bye,) = [p for p in [first, *rest] if p.ttl == 0]
    assert bye.port_id.value == MAC["port1"]
    a.remove_port("port2", 2.0)
    ((port, frame),) = a.frames_to_send()
    assert port == "port2" and decoded(frame).ttl == 0 and a.ports == ["port1"]


def test_no_goodbye_on_a_port_whose_link_is_gone() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    run_until(a, 0.0, 1.0)
    a.remove_port("port1", 2.0, link_up=False)
    assert a.frames_to_send() == []


# --- receive --------------------------------------------------------------------------------

def test_learns_refreshes_and_ages_out_exactly_at_ttl() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    a.receive("port1", peer_frame(1, ttl=4), 10.0)
    assert isinstance(a.next_event(), NeighborAdded)
    (rec,) = a.neighbors(10.5)
    assert rec["local_port"] == "port1" and rec["system_name"] == "peer1" and rec["ttl"] == 4
    assert rec["chassis_id"] == "02:00:00:00:00:01" and rec["port_id"] == "eth0"
    assert rec["age_s"] == 0.5 and rec["expires_in_s"] == 3.5
    assert rec["capabilities"] == {"supported": ["bridge", "router"], "enabled": ["router"]}
    a.receive("port1", peer_frame(1, ttl=4), 12.0)             # the same bytes: a refresh
    assert a.events() == []
    run_until(a, 12.0, 15.99)
    assert len(a.neighbors(15.99)) == 1                         # not before its TTL
    run_until(a, 15.99, 16.0)
    assert a.neighbors(16.0) == []
    removed = [e for e in a.events() if isinstance(e, NeighborRemoved)]
    assert [(e.port, e.reason) for e in removed] == [("port1", "ttl-expired")]
    stats = a.statistics()["ports"]["port1"]
    assert stats["ageouts"] == 1 and stats["frames_in"] == 2 and stats["inserts"] == 1
    (gone,) = a.departed(20.0)
    assert gone["reason"] == "ttl-expired" and gone["left_s_ago"] == 4.0 and gone["system_name"] == "peer1"


def test_a_changed_lldpdu_updates_the_entry() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    a.receive("port1", peer_frame(1), 1.0)
    a.receive("port1", peer_frame(1, name="renamed"), 2.0)
    assert [type(e) for e in a.events()] == [NeighborAdded, NeighborChanged]
    (rec,) = a.neighbors(3.0)
    assert rec["system_name"] == "renamed" and rec["age_s"] == 2.0   # age since first seen


def test_shutdown_removes_that_msap_on_that_port_only() -> None:
    a = agent()
    for p in ("port1", "port2"):
        a.add_port(p, MAC[p], 0.0)
    a.receive("port1", peer_frame(1), 1.0)
    a.receive("port1", peer_frame(2), 1.0)                      # two neighbours behind one port
    a.receive("port2", peer_frame(1), 1.0)                      # the same system on another port
    a.events()
    a.receive("port1", peer_frame(1, ttl=0), 2.0)
    left = [(r["local_port"], r["system_name"]) for r in a.neighbors(2.0)]
    assert left == [("port1", "peer2"), ("port2", "peer1")]
    (event,) = a.events()
    assert (event.port, event.reason) == ("port1", "shutdown")
    assert a.statistics()["ports"]["port1"]["deletes"] == 1
    assert a.statistics()["ports"]["port1"]["ageouts"] == 0


def test_a_real_lldpd_shutdown_frame_removes_the_entry_of_its_default_frame() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    a.receive("port1", frames("lldpd-default.pcap")[0], 1.0)
    assert len(a.neighbors(1.0)) == 1
    a.receive("port1", frames("lldpd-shutdown.pcap")[0], 2.0)
    assert a.neighbors(2.0) == []


def test_too_many_drops_the_entry_closest_to_expiry() -> None:
    a = agent(max_neighbors=2)
    a.add_port("port1", MAC["port1"], 0.0)
    a.receive("port1", peer_frame(1, ttl=100), 1.0)
    a.receive("port1", peer_frame(2, ttl=10), 1.0)
    a.receive("port1", peer_frame(3, ttl=100), 2.0)
    assert [r["system_name"] for r in a.neighbors(2.0)] == ["peer1", "peer3"]
    assert a.departed(2.0)[0]["reason"] == "too-many"
    assert a.statistics()["ports"]["port1"]["drops_too_many"] == 1


def test_link_down_forgets_the_port_and_link_up_restarts_fast() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    a.receive("port1", peer_frame(1), 1.0)
    run_until(a, 0.0, 5.0)
    a.link_down("port1", 5.0)
    assert a.neighbors(5.0) == [] and a.departed(5.0)[-1]["reason"] == "port-down"
    assert run_until(a, 5.0, 100.0) == []                        # nothing sent while down
    a.receive("port1", peer_frame(1), 6.0)                       # nor anything learnt
    assert a.neighbors(6.0) == []
    a.add_port("port1", MAC["port1"], 100.0)
    assert len(run_until(a, 100.0, 104.0)) == 4                  # fast start again


def test_malformed_frames_are_counted_by_reason() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    for frame in frames("synth-malformed.pcap") + frames("lldpd-cdp.pcap"):
        a.receive("port1", frame, 1.0)
    stats = a.statistics()
    port = stats["ports"]["port1"]
    assert port["frames_in"] == 4 and port["frames_discarded"] == 2 and port["frames_in_errors"] == 2
    assert port["discard_reasons"]["tlv-overrun"] == 1 and port["discard_reasons"]["missing-ttl"] == 1
    assert stats["frames_not_lldp"] == 1
    assert [r["vlan"] for r in a.neighbors(1.0)] == [5]           # the tagged copy replaced the untagged
    assert {e.reason for e in a.events() if isinstance(e, FrameDiscarded)} == {"tlv-overrun", "missing-ttl"}


def test_unknown_tlvs_are_counted_each_time() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    frame = frames("lldpd-mgmt.pcap")[0]
    a.receive("port1", frame, 1.0)
    a.receive("port1", frame, 2.0)
    assert a.statistics()["ports"]["port1"]["tlvs_unrecognized"] == 2


def test_a_new_neighbour_gets_fast_frames() -> None:
    a = agent()
    a.add_port("port1", MAC["port1"], 0.0)
    run_until(a, 0.0, 60.0)
    a.receive("port1", peer_frame(1), 60.0)
    assert len(run_until(a, 60.0, 63.5)) == 4                   # at once, then a second apart


def test_med_tlvs_only_after_an_endpoint_sent_med() -> None:
    policy = org.NetworkPolicy(1, False, True, 100, 5, 46)
    a = agent(med=True, med_policies=(policy,))
    a.add_port("port1", MAC["port1"], 0.0)
    ((_, _, frame),) = run_until(a, 0.0, 0.99)
    assert decoded(frame).first(org.MedCapabilities) is None
    a.receive("port1", frames("lldpd-med.pcap")[0], 2.0)
    sent = run_until(a, 2.0, 2.0)
    pdu = decoded(sent[0][2])
    assert pdu.first(org.MedCapabilities) == org.MedCapabilities(0x03, 4)
    assert pdu.first(org.NetworkPolicy) == policy
    assert a.neighbors(2.0)[0]["med"]["capabilities"]["device_type"] == "endpoint-class-3"


def test_frames_for_unknown_ports_are_ignored() -> None:
    a = agent()
    a.receive("nope", peer_frame(1), 0.0)
    assert a.neighbors(0.0) == [] and a.get_timer() is None
