"""serve's LLDP agent at 256 ports: a fast stop that still says goodbye on every port, and ports
deleted under it without warnings.

Each AF_PACKET close waits ~13 ms in the kernel; closed one after another,
256 ports took ~3.8 s to stop and serve's SIGTERM-to-exit at 512 ports came
near systemd's stop timeout.  Here, on 256 veth ports
(:mod:`interop.lldp_scale`): SIGTERM to exit under 5 s, the service's own
stop under 1 s, and every peer port receives exactly one TTL-0 LLDPDU.
A burst of 200 address events is a few refreshes, not 200 netlink dumps;
32 ports deleted at once go without a warning.
"""

from __future__ import annotations

import pytest

from interop.lldp_lab import need_lab, wait_for
from interop.lldp_scale import ScaleBed, batch, sigterm_to_exit, stop_ms, wait_announced

pytestmark = [pytest.mark.interop, pytest.mark.root]

PORTS = 256


@pytest.fixture(scope="module")
def bed():
    need_lab()
    bed = ScaleBed(PORTS)
    try:
        yield bed
    finally:
        bed.close()


def test_stop_at_256_ports_is_fast_and_says_goodbye_once_on_every_port(bed) -> None:
    rx = bed.receiver()
    dut = bed.agent(tx_interval=30, tx_hold=4).start(timeout=60)
    assert wait_announced(dut, bed.ports, 30), f"not every port transmitted:\n{dut.log()[-3000:]}"
    elapsed, code = sigterm_to_exit(dut)
    report = rx.report()
    log = dut.log()
    assert code == 0, log[-3000:]
    assert elapsed < 5.0, f"SIGTERM -> exit took {elapsed:.2f} s"
    ms = stop_ms(log)
    assert ms is not None and ms < 1000, f"LLDP stop took {ms} ms:\n{log[-2000:]}"
    counts = report["ports"]
    shutdowns = {f"r{n}": counts.get(f"r{n}", [0, 0])[1] for n in range(1, PORTS + 1)}
    wrong = {port: n for port, n in shutdowns.items() if n != 1}
    assert not wrong, f"ports without exactly one TTL-0 frame: {dict(list(wrong.items())[:10])} ({len(wrong)})"
    assert all(counts[f"r{n}"][0] >= 1 for n in range(1, PORTS + 1))
    assert report["malformed"] == 0
    assert "WARNING" not in log and "ERROR" not in log, log[-3000:]


def test_an_address_burst_is_a_few_refreshes_not_one_per_event(bed) -> None:
    dut = bed.agent(tx_interval=30, tx_hold=4).start(timeout=60)
    assert wait_announced(dut, bed.ports, 30)
    batch(bed.dut, [f"addr add 198.51.100.{n}/32 dev port1" for n in range(1, 201)])
    service = wait_for(lambda: (s := dut.query("lldp.statistics")["service"])["address_events"] >= 200 and s, 10)
    assert service, dut.query("lldp.statistics")
    wait_for(lambda: False, 1.0, 0.5)  # let the last refresh run
    service = dut.query("lldp.statistics")["service"]
    # One refresh per ADDRESS_SETTLE at most while the burst lasts (well under a second here).
    assert 1 <= service["address_refreshes"] <= 10, service
    elapsed, code = sigterm_to_exit(dut)
    assert code == 0 and elapsed < 5.0
    assert "WARNING" not in dut.log() and "ERROR" not in dut.log(), dut.log()[-3000:]
    batch(bed.dut, [f"addr del 198.51.100.{n}/32 dev port1" for n in range(1, 201)])


def test_ports_deleted_under_the_agent_go_quietly(bed) -> None:
    dut = bed.agent(tx_interval=1, tx_hold=4).start(timeout=60)
    assert wait_announced(dut, bed.ports, 30)
    gone = bed.ports[-32:]
    bed.delete_ports(gone)
    left = wait_for(lambda: set(dut.query("lldp.neighbors")["ports"]).isdisjoint(gone), 10, 0.1)
    assert left, "deleted ports are still in the agent"
    # A few transmission rounds on the rest, then a clean stop.
    wait_for(lambda: False, 2.0, 0.5)
    stats = dut.query("lldp.statistics")
    assert set(stats["ports"]) == set(bed.ports[:-32])
    assert dut.proc is not None and dut.proc.poll() is None
    elapsed, code = sigterm_to_exit(dut)
    log = dut.log()
    assert code == 0 and elapsed < 5.0, log[-3000:]
    assert "receive failed" not in log and "WARNING" not in log and "ERROR" not in log, log[-3000:]
    assert log.count(": gone") == 32, log[-3000:]
    bed.ports = bed.ports[:-32]
