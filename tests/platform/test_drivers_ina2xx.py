"""Ina2xx driver against the simulated INA226/INA219: CAL, chip arithmetic, ownership."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.devices.ina2xx import Chip
from chassisctl.platform.drivers._base import NotOwned
from chassisctl.i2c_errors import NotAnswering
from chassisctl.platform.drivers.ina2xx import Ina2xx
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.ina2xx import Ina2xxSim
from chassisctl.sim.i2c import Segment


def make(sim: Ina2xxSim) -> SimulatedSMBus:
    root = Segment()
    root.attach(0x40, sim)
    return SimulatedSMBus(root=root, clock=FakeClock())


def test_ina226_worked_example_through_the_wire() -> None:
    sim = Ina2xxSim(Chip.INA226, 0.002)
    sim.set_load(12.5, 12.1)
    bus = make(sim)
    dev = Ina2xx(bus, 0x40, Chip.INA226, 0.002, owned=True)
    reading = dev.read()
    assert (reading.shunt_volts, reading.bus_volts, reading.current_amps, reading.power_watts) == (
        0.025, 12.1, 12.5, 151.25)
    text = [str(t) for t in bus.transcript]
    assert "S 80 05 0A 00 P" in text  # CAL = 2560, MSB first
    assert text[-4:] == ["S 80 01 Sr 81 27 10 P", "S 80 02 Sr 81 25 D0 P",
                         "S 80 04 Sr 81 30 D4 P", "S 80 03 Sr 81 17 A2 P"]


def test_uncalibrated_and_not_owned_is_unavailable() -> None:
    sim = Ina2xxSim(Chip.INA226, 0.002)
    sim.set_load(12.5, 12.1)
    bus = make(sim)
    reading = Ina2xx(bus, 0x40, "ina226", 0.002).read()
    assert reading.current_amps is None and reading.power_watts is None
    assert reading.bus_volts == 12.1
    assert sim.cal == 0  # nothing written
    with pytest.raises(NotOwned):
        Ina2xx(bus, 0x40, "ina226", 0.002).calibrate()


def test_chip_reset_is_recalibrated_when_owned() -> None:
    sim = Ina2xxSim(Chip.INA226, 0.002)
    sim.set_load(5.0, 12.0)
    bus = make(sim)
    dev = Ina2xx(bus, 0x40, Chip.INA226, 0.002, owned=True)
    assert dev.read().current_amps == 5.0
    bus.write_word_data(0x40, 0x00, 0x0080)  # RST (bit 15, MSB first on the wire)
    assert sim.cal == 0
    assert dev.read().current_amps == 5.0
    assert sim.cal == 2560 and sim.config == 0x4527


def test_foreign_calibration_is_honoured() -> None:
    sim = Ina2xxSim(Chip.INA226, 0.002)
    sim.set_load(3.0, 12.0)
    sim.cal = 5120  # someone chose a 0.5 mA current LSB
    bus = make(sim)
    reading = Ina2xx(bus, 0x40, Chip.INA226, 0.002).read()
    assert reading.current_amps == pytest.approx(3.0, abs=0.0005)
    assert reading.power_watts == pytest.approx(36.0, abs=0.05)


def test_ina219() -> None:
    sim = Ina2xxSim(Chip.INA219, 0.01)
    sim.set_load(2.0, 12.0)
    bus = make(sim)
    reading = Ina2xx(bus, 0x40, Chip.INA219, 0.01, owned=True).read()
    assert reading.current_amps == 2.0
    assert reading.bus_volts == 12.0
    assert reading.power_watts == pytest.approx(24.0)


def test_absent() -> None:
    sim = Ina2xxSim(Chip.INA226)
    sim.present = False
    with pytest.raises(NotAnswering):
        Ina2xx(make(sim), 0x40, Chip.INA226, 0.01).read()
