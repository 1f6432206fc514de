"""Faults: a device that NAKs, a stuck mux channel, a PSU pulled, PEC errors — the right answer each.

Each fault must give the right completion code or sensor state, leave the
other sensors reading, never hang and never produce a wrong value.
"""

from __future__ import annotations

import errno

import pytest

from chassisctl.client import power
from chassisctl.client.sensors import SensorReader, load_repository
from chassisctl.clock import FakeClock
from chassisctl.config import BmcSettings
from chassisctl.devices.pca954x import Kind
from chassisctl.ipmi.codes import CompletionCodeError
from chassisctl.ipmi.sensor_cmds import SensorReading, get_sensor_reading
from chassisctl.platform.backend import open_platform
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.lm75 import Lm75Sim
from chassisctl.sim.devices.pca954x import Pca954xSim
from chassisctl.sim.i2c import Segment
from chassisctl.transport.bus import parse_bus_spec


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    for kind in ("STATE", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"XDG_{kind}_HOME", str(tmp_path / kind.lower()))


def open_(name: str = "compute-4n"):
    clock = FakeClock()
    return open_platform(BmcSettings(platform=name), parse_bus_spec("sim:f"), clock=clock, store=False), clock


def read_all(tr, node=None) -> dict[str, object]:
    repo = load_repository(tr, node=node)
    return {v.name: v for v in SensorReader(tr, node=node).read(repo.sensors())}


def test_a_device_that_naks_is_unavailable_and_the_rest_read() -> None:
    tr, _ = open_()
    tr.world.twins["node1-board"].present = False
    values = read_all(tr, "node1")
    assert values["Node1 Board Temp"].value is None and values["Node1 Board Temp"].status == "na"
    assert values["Node1 Inlet Temp"].value is not None and values["PSU1 PIN"].value == 488.0
    tr.world.twins["node1-board"].present = True
    assert read_all(tr, "node1")["Node1 Board Temp"].value is not None  # comes back by itself
    tr.world.twins["node2-cpld"].present = False
    with pytest.raises(CompletionCodeError) as info:
        power.status(tr, node="node2")
    assert info.value.cc == 0xD3  # the controller does not acknowledge: destination unavailable
    assert power.status(tr, node="node1").power_on


def test_stuck_mux_channel() -> None:
    tr, clock = open_()
    mux = tr.world.twins["mux0"]
    mux.channel(3).stuck = True
    start = clock.monotonic()
    values = read_all(tr, "node4")
    assert all(values[n].value is None for n in values if n.startswith("Node4"))
    assert mux.control == 0x00  # the failing transaction left the switch deselected
    with pytest.raises(CompletionCodeError) as info:
        power.status(tr, node="node4")
    assert info.value.cc == 0xC3  # bus timeout
    assert clock.monotonic() - start < 2.0  # a bounded number of 35 ms timeouts, nothing hangs
    for node in ("node1", "node2", "node3"):
        values = read_all(tr, node)
        assert all(v.value is not None for v in values.values() if v.threshold_based), node
        assert power.status(tr, node=node).power_on
    mux.channel(3).stuck = False
    assert read_all(tr, "node4")["Node4 Inlet Temp"].value is not None


def test_sim_bus_stuck_semantics() -> None:
    root = Segment()
    mux = Pca954xSim(Kind.PCA9548, "m")
    root.attach(0x70, mux)
    root.attach(0x48, Lm75Sim(20.0))
    mux.channel(1).attach(0x49, Lm75Sim(30.0))
    bus = SimulatedSMBus(root=root, clock=FakeClock())
    mux.channel(1).stuck = True
    bus.write_byte(0x70, 0x02)  # selecting the stuck channel works (the mux ACKs)...
    for addr in (0x48, 0x49):
        with pytest.raises(OSError) as info:
            bus.read_word_data(addr, 0)
        assert info.value.errno == errno.ETIMEDOUT  # ...but SDA is held low for everyone else
    assert bus.transcript[-1].error == "ETIMEDOUT" and bus.transcript[-1].stretch > 0
    bus.write_byte(0x70, 0x00)  # the mux stays reachable to deselect it
    assert bus.read_word_data(0x48, 0) == 0x0014
    mux.mux_reachable_when_stuck = False
    bus.write_byte(0x70, 0x02)
    with pytest.raises(OSError):
        bus.write_byte(0x70, 0x00)


def test_psu_removed_and_back() -> None:
    tr, _ = open_("switch-1u")
    tr.world.set(tr.platform.devices["psu1"], "present", False)
    assert tr.world.twins["cpld"].value("psu1_present") == 0  # the CPLD bit follows the bay
    values = read_all(tr)
    assert values["PSU1 Status"].states == []  # presence deasserted
    for name in ("PSU1 VIN", "PSU1 VOUT", "PSU1 PIN", "PSU1 Fan"):
        assert values[name].value is None and values[name].status == "na"
    assert values["PSU2 VIN"].value is not None
    tr.world.set(tr.platform.devices["psu1"], "present", True)
    values = read_all(tr)
    assert values["PSU1 Status"].states == ["Presence detected"] and values["PSU1 PIN"].value == 488.0


def test_psu_present_but_silent_is_input_lost_not_absent() -> None:
    tr, _ = open_("switch-1u")
    tr.world.set(tr.platform.devices["psu2"], "responding", False)  # unpowered controller, PSU in its bay
    states = read_all(tr)["PSU2 Status"].states
    assert "Presence detected" in states and any("lost" in s for s in states)


def test_compute_psu_presence_from_the_pmbus_answer() -> None:
    tr, _ = open_()
    tr.world.twins["psu2"].present = False
    values = read_all(tr, "node3")
    assert values["PSU2 Status"].states == [] and values["PSU2 PIN"].value is None


def test_pec_errors_are_retried_or_unavailable_never_wrong() -> None:
    tr, _ = open_("switch-1u")
    psu = tr.world.twins["psu1"]
    repo = load_repository(tr)
    record = next(r for r in repo.sensors() if r.id_string == "PSU1 PIN")
    reader = SensorReader(tr)
    psu.corrupt_pec(1)
    assert reader.read_one(record).value == 488.0  # one bad PEC: retried, right value
    psu.corrupt_pec(2)
    got = reader.read_one(record)
    assert got.value is None and got.status == "na"  # still bad after the retry: unavailable
    assert reader.read_one(record).value == 488.0
    raw = tr.transact(get_sensor_reading(record.sensor_number))
    assert SensorReading.decode(raw.data).raw == record.conversion.to_raw(488.0)


def test_hwmon_read_failure_is_unavailable() -> None:
    tr, _ = open_("switch-1u")
    tr.world.set(tr.platform.devices["cpu-temp"], "temp1_input", "fail")
    values = read_all(tr)
    assert values["CPU Temp"].value is None and values["Front Temp"].value is not None
    tr.world.set(tr.platform.devices["cpu-temp"], "temp1_input", 45500)
    assert read_all(tr)["CPU Temp"].value == 45.5


def test_ina_reset_makes_current_unavailable_not_zero() -> None:
    tr, clock = open_("switch-1u")
    twin = tr.world.twins["board-hsc"]
    assert read_all(tr)["Board Power"].value is not None
    twin.reset()  # CAL back to 0 behind our back: the chip reads 0 A, 0 W
    assert read_all(tr)["Board Power"].value is not None and twin.cal != 0  # owned: programmed again
    dev = tr.platform.devices["board-hsc"]
    tr.hw.driver(dev).owned = False
    twin.reset()
    clock.advance(61)
    assert read_all(tr)["Board Power"].value is None  # not ours to program: unknown, not 0 W
