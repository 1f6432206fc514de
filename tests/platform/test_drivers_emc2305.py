"""Emc2305 driver against the simulated fan controller: tach math, stall, drive."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.platform.drivers.emc2305 import Emc2305
from chassisctl.platform.drivers._base import NotOwned
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.emc2305 import Emc2305Sim
from chassisctl.sim.i2c import Segment


def make(sim: Emc2305Sim) -> SimulatedSMBus:
    root = Segment()
    root.attach(0x2E, sim)
    return SimulatedSMBus(root=root, clock=FakeClock())


def test_8448_rpm_reads_8446_with_the_worked_bytes() -> None:
    sim = Emc2305Sim()
    sim.set_rpm(0, 8448)
    bus = make(sim)
    assert Emc2305(bus, 0x2E).read_rpm(0) == 8446
    assert [str(t) for t in bus.transcript][-2:] == ["S 5C 3E Sr 5D 1D P", "S 5C 3F Sr 5D 18 P"]
    assert bus.read_i2c_block_data(0x2E, 0x3E, 2) == [0x1D, 0x18]  # auto-increment


def test_stall_reads_zero_and_sets_status() -> None:
    sim = Emc2305Sim()
    sim.stall(3)
    bus = make(sim)
    dev = Emc2305(bus, 0x2E)
    assert dev.read_rpm(3) == 0
    faults = dev.faults()
    assert faults.stalled == {3} and not faults.drive_failed
    sim.drive_fail[1] = True
    assert dev.faults().drive_failed == {1}


def test_drive_and_pwm_curve() -> None:
    sim = Emc2305Sim(max_rpm=10000)
    bus = make(sim)
    dev = Emc2305(bus, 0x2E, owned=True)
    dev.set_duty(1, 60)
    assert sim.drive[1] == 0x99
    assert dev.read_duty(1) == 60.0
    assert dev.read_rpm(1) == pytest.approx(6000, rel=0.01)
    with pytest.raises(NotOwned):
        Emc2305(bus, 0x2E).set_duty(1, 100)
    with pytest.raises(ValueError):
        dev.read_rpm(5)


def test_range_multiplier_is_read_from_the_fan_configuration() -> None:
    sim = Emc2305Sim()
    sim.config1[2] = 0x4B  # RANGE = 10b: multiplier 4
    sim.set_rpm(2, 3000)
    bus = make(sim)
    assert Emc2305(bus, 0x2E).read_rpm(2) == pytest.approx(3000, rel=0.01)
    assert Emc2305(bus, 0x2E, multiplier=2).read_rpm(2) == pytest.approx(1500, rel=0.01)
