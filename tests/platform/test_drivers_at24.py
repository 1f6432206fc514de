"""At24 driver against the simulated EEPROM: addressing, paging, write-cycle NAKs."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.platform.drivers.at24 import At24
from chassisctl.i2c_errors import NotAnswering
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.at24 import At24Sim
from chassisctl.sim.i2c import Segment


def make(part: str, clock: FakeClock, data: bytes = b"") -> tuple[SimulatedSMBus, At24Sim]:
    root = Segment()
    sim = At24Sim(part, clock, data=data)
    sim.attach(root, 0x50)
    return SimulatedSMBus(root=root, clock=clock), sim


def test_sixteen_bit_read_is_word_address_then_repeated_start() -> None:
    clock = FakeClock()
    bus, _ = make("24c64", clock, bytes(range(256)) * 32)
    assert At24(bus, 0x50, "24c64", clock=clock).read(0x0102, 4) == bytes([2, 3, 4, 5])
    assert str(bus.transcript[-1]) == "S A0 01 02 Sr A1 02 03 04 05 P"


def test_reads_are_chunked_at_the_io_limit() -> None:
    clock = FakeClock()
    bus, sim = make("24c512", clock, bytes(i & 0xFF for i in range(65536)))
    data = At24(bus, 0x50, "24c512", clock=clock).read(100, 300)
    assert data == bytes(sim.memory[100:400])
    assert [len(t.parts[1].data) for t in bus.transcript] == [128, 128, 44]


def test_writes_split_at_pages_and_ride_out_the_write_cycle() -> None:
    clock = FakeClock()
    bus, sim = make("24c64", clock)
    start = clock.monotonic()
    payload = bytes(range(1, 41))
    At24(bus, 0x50, "24c64", clock=clock).write(30, payload)
    assert sim.memory[30:70] == payload
    assert sim.writes == 3  # 30..31, 32..63, 64..69
    naks = [t for t in bus.transcript if not t.acked]
    assert naks, "the second page write must have met the 5 ms write cycle"
    assert clock.monotonic() - start < 0.025
    assert At24(bus, 0x50, "24c64", clock=clock).read(30, 40) == payload  # read retries the last cycle too


def test_block_bits_and_smbus_path_for_small_parts() -> None:
    clock = FakeClock()
    bus, sim = make("24c16", clock)
    dev = At24(bus, 0x50, "24c16", clock=clock, smbus=True)
    dev.write(0x3FC, b"ABCDEFGH")
    assert sim.memory[0x3FC:0x404] == b"ABCDEFGH"
    assert dev.read(0x3FC, 8) == b"ABCDEFGH"
    assert {t.addr for t in bus.transcript} == {0x53, 0x54}
    with pytest.raises(ValueError):
        At24(bus, 0x50, "24c64", smbus=True)  # 16-bit parts need plain I2C
    with pytest.raises(ValueError):
        At24(bus, 0x51, "24c16")


def test_page_write_wraps_within_the_page_in_the_model() -> None:
    from smbus2 import i2c_msg

    clock = FakeClock()
    bus, sim = make("24c02", clock)
    bus.i2c_rdwr(i2c_msg.write(0x50, bytes([0x06]) + b"WXYZ"))  # crosses the 8-byte page
    assert sim.memory[6:8] == b"WX" and sim.memory[0:2] == b"YZ"


def test_absent_part_gives_up_after_the_write_timeout() -> None:
    clock = FakeClock()
    bus, sim = make("24c02", clock)
    sim.present = False
    start = clock.monotonic()
    with pytest.raises(NotAnswering):
        At24(bus, 0x50, "24c02", clock=clock).read(0, 8)
    assert 0.025 <= clock.monotonic() - start < 0.03
