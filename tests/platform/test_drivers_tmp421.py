"""Tmp421 driver against the simulated TMP421/423: RANGE read first, OPEN -> None."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.devices.register_error import DeviceDecodeError
from chassisctl.i2c_errors import NotAnswering
from chassisctl.platform.drivers.tmp421 import Tmp421
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.tmp421 import Tmp421Sim
from chassisctl.sim.i2c import Segment


def make(sim: Tmp421Sim) -> SimulatedSMBus:
    root = Segment()
    root.attach(0x4C, sim)
    return SimulatedSMBus(root=root, clock=FakeClock())


def test_standard_and_extended_range() -> None:
    sim = Tmp421Sim()
    bus = make(sim)
    sim.set_celsius(1, -24.5)
    dev = Tmp421(bus, 0x4C)
    assert dev.read_channel(1) == -24.5
    assert [str(t) for t in bus.transcript][-2:] == ["S 98 01 Sr 99 E7 P", "S 98 11 Sr 99 80 P"]
    bus.write_byte_data(0x4C, 0x09, 0x04)  # someone switches to extended range
    assert dev.read_channel(1) == -24.5
    assert [str(t) for t in bus.transcript][-2:] == ["S 98 01 Sr 99 27 P", "S 98 11 Sr 99 80 P"]
    sim.set_celsius(0, 150.0)
    assert dev.read_channel(0) == 150.0


def test_open_diode_is_unavailable_not_a_number() -> None:
    sim = Tmp421Sim("tmp423")
    bus = make(sim)
    sim.set_open(3)
    dev = Tmp421(bus, 0x4C, "tmp423")
    assert dev.read_channel(3) is None
    assert dev.read_channel(2) == 25.0
    with pytest.raises(ValueError):
        dev.read_channel(4)


def test_identify() -> None:
    bus = make(Tmp421Sim("tmp422"))
    assert Tmp421(bus, 0x4C).identify().name == "tmp422"


def test_wrong_chip_and_absent() -> None:
    sim = Tmp421Sim()
    bus = make(sim)
    sim.chip = sim.chip.__class__("other", 0x99, 2)
    with pytest.raises(DeviceDecodeError):
        Tmp421(bus, 0x4C).identify()
    sim.present = False
    with pytest.raises(NotAnswering):
        Tmp421(bus, 0x4C).read_channel(0)
