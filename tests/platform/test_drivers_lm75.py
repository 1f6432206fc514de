"""Lm75 driver against the simulated LM75/TMP75 through the simulated bus."""

import pytest
from smbus2 import i2c_msg

from chassisctl.clock import FakeClock
from chassisctl.i2c_errors import BusTimeout, NotAnswering
from chassisctl.platform.drivers.lm75 import Lm75
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.lm75 import Lm75Sim
from chassisctl.sim.i2c import Segment


def make(sim: Lm75Sim, addr: int = 0x48) -> SimulatedSMBus:
    root = Segment()
    root.attach(addr, sim)
    return SimulatedSMBus(root=root, clock=FakeClock())


def test_tmp75_twelve_bit_wire_bytes() -> None:
    sim = Lm75Sim(25.0625, configurable=True)
    bus = make(sim)
    bus.write_byte_data(0x48, 0x01, 0x60)  # R1:R0 = 11, as lm75.c sets for tmp75
    assert Lm75(bus, 0x48, 12).read_celsius() == 25.0625
    assert str(bus.transcript[-1]) == "S 90 00 Sr 91 19 10 P"


@pytest.mark.parametrize(("celsius", "res", "expected"), [(-25.0, 12, -25.0), (-0.5, 9, -0.5), (25.3, 9, 25.5),
                                                          (-55.0, 11, -55.0), (125.0, 12, 125.0)])
def test_resolutions_and_negative_values(celsius: float, res: int, expected: float) -> None:
    bus = make(Lm75Sim(celsius, resolution=res))
    assert Lm75(bus, 0x48, res).read_celsius() == expected


def test_low_bits_below_resolution_read_zero() -> None:
    bus = make(Lm75Sim(25.0625, resolution=9))
    # a 12-bit reader of a 9-bit part sees only whole half-degrees
    assert Lm75(bus, 0x48, 12).read_celsius() == 25.0
    assert bus.read_i2c_block_data(0x48, 0, 2) == [0x19, 0x00]


def test_pointer_latch_without_pointer_write() -> None:
    bus = make(Lm75Sim(80.0, resolution=9))
    Lm75(bus, 0x48, 9).read_limits()  # leaves the pointer at T_OS (03h)
    read = i2c_msg.read(0x48, 2)
    bus.i2c_rdwr(read)
    assert bytes(read) == b"\x50\x00"


def test_limits_and_config() -> None:
    sim = Lm75Sim(30.0, configurable=True)
    bus = make(sim)
    dev = Lm75(bus, 0x48, 9)
    assert dev.read_limits() == (75.0, 80.0)
    assert dev.read_config().resolution == 9
    bus.write_i2c_block_data(0x48, 0x03, [0x1E, 0x00])  # T_OS 30 °C, MSB first
    sim.set_celsius(31.0)
    assert sim.os_asserted


def test_shutdown_freezes_reading() -> None:
    sim = Lm75Sim(30.0, resolution=9)
    bus = make(sim)
    bus.write_byte_data(0x48, 0x01, 0x01)
    sim.set_celsius(60.0)
    assert Lm75(bus, 0x48, 9).read_celsius() == 30.0


def test_absent_and_bus_timeout_are_distinct() -> None:
    sim = Lm75Sim()
    bus = make(sim)
    sim.present = False
    with pytest.raises(NotAnswering):
        Lm75(bus, 0x48).read_celsius()
    sim.present = True
    bus.faults.timeout()
    with pytest.raises(BusTimeout):
        Lm75(bus, 0x48).read_celsius()
