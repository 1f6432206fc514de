"""Pca954x driver and TopologyManager against simulated switches, including a stuck channel."""

import pytest

from chassisctl.clock import FakeClock
from chassisctl.devices.pca954x import Kind
from chassisctl.i2c_errors import BusTimeout, NotAnswering
from chassisctl.platform.drivers.lm75 import Lm75
from chassisctl.platform.drivers.pca954x import Pca954x
from chassisctl.platform.drivers.topology import Hop, MuxPath, TopologyManager
from chassisctl.sim.bus import SimulatedSMBus
from chassisctl.sim.devices.lm75 import Lm75Sim
from chassisctl.sim.devices.pca954x import Pca954xSim
from chassisctl.sim.i2c import Segment


def board() -> tuple[SimulatedSMBus, Pca954xSim, Pca954xSim, Pca954xSim]:
    """Root: switch 70h (ch 0..7) and mux 71h (PCA9544); 70h ch 1 holds switch 72h."""
    root = Segment()
    sw70, mux71, sw72 = Pca954xSim(name="70"), Pca954xSim(Kind.PCA9544, name="71"), Pca954xSim(Kind.PCA9546, "72")
    root.attach(0x70, sw70)
    root.attach(0x71, mux71)
    for n in range(4):
        sw70.channel(n).attach(0x48, Lm75Sim(20.0 + n, resolution=9))
        mux71.channel(n).attach(0x48, Lm75Sim(40.0 + n, resolution=9))
    sw70.channel(1).attach(0x72, sw72)
    sw72.channel(2).attach(0x49, Lm75Sim(60.0, resolution=9))
    return SimulatedSMBus(root=root, clock=FakeClock()), sw70, mux71, sw72


def mux_writes(bus: SimulatedSMBus, addr: int) -> list[str]:
    return [str(t) for t in bus.transcript if t.addr == addr and t.is_write]


def test_pca954x_driver() -> None:
    bus, sw70, mux71, _ = board()
    Pca954x(bus, 0x70).select({0, 3})
    assert sw70.control == 0x09 and Pca954x(bus, 0x70).read_channels() == {0, 3}
    Pca954x(bus, 0x71, Kind.PCA9544).select({2})
    assert str(bus.transcript[-1]) == "S E2 06 P"
    Pca954x(bus, 0x70).deselect()
    assert sw70.control == 0


def test_select_writes_only_when_needed() -> None:
    bus, sw70, _, _ = board()
    topo = TopologyManager(bus)
    path = MuxPath.of((0x70, 2))
    for _ in range(3):
        with topo.select(path):
            assert Lm75(bus, 0x48, 9).read_celsius() == 22.0
    assert mux_writes(bus, 0x70) == ["S E0 04 P"]
    assert topo.cached((), 0x70) == 0x04


def test_sibling_muxes_are_isolated_before_switching() -> None:
    bus, sw70, mux71, _ = board()
    topo = TopologyManager(bus)
    with topo.select(MuxPath.of((0x70, 3))):
        assert Lm75(bus, 0x48, 9).read_celsius() == 23.0
    with topo.select(MuxPath.of((0x71, 1, Kind.PCA9544))):
        assert Lm75(bus, 0x48, 9).read_celsius() == 41.0  # no collision with 70h's channel 3
    assert sw70.control == 0 and mux71.control == 0x05


def test_nested_path() -> None:
    bus, sw70, _, sw72 = board()
    topo = TopologyManager(bus)
    path = MuxPath.parse("70:1/72:2")
    path = MuxPath((path.hops[0], Hop(0x72, 2, Kind.PCA9546)))
    with topo.select(path):
        assert Lm75(bus, 0x49, 9).read_celsius() == 60.0
    assert (sw70.control, sw72.control) == (0x02, 0x04)
    assert str(path) == "70:1/72:2"
    with topo:
        pass  # leaving the manager returns every mux to 00h, deepest first
    assert (sw70.control, sw72.control) == (0, 0)


def test_stuck_channel_fails_and_leaves_the_mux_deselected() -> None:
    bus, sw70, _, _ = board()
    sw70.channel(3).stuck = True
    topo = TopologyManager(bus)
    with pytest.raises(BusTimeout):
        with topo.select(MuxPath.of((0x70, 3))):
            Lm75(bus, 0x48, 9).read_celsius()
    assert sw70.control == 0x00 and topo.cached((), 0x70) == 0x00
    assert mux_writes(bus, 0x70)[-1] == "S E0 00 P"
    with topo.select(MuxPath.of((0x70, 0))):  # the other channels still work
        assert Lm75(bus, 0x48, 9).read_celsius() == 20.0


def test_any_exception_inside_deselects() -> None:
    bus, sw70, _, _ = board()
    topo = TopologyManager(bus)
    with pytest.raises(ZeroDivisionError):
        with topo.select(MuxPath.of((0x70, 2))):
            raise ZeroDivisionError
    assert sw70.control == 0


def test_failed_mux_write_invalidates_its_cache() -> None:
    bus, sw70, _, _ = board()
    topo = TopologyManager(bus)
    with topo.select(MuxPath.of((0x70, 2))):
        pass
    sw70.present = False
    with pytest.raises(NotAnswering):
        with topo.select(MuxPath.of((0x70, 1))):
            pytest.fail("must not be reached")
    assert topo.cached((), 0x70) is None
    sw70.present = True
    sw70.reset()
    with topo.select(MuxPath.of((0x70, 2))):  # unknown state: written again, not skipped
        assert Lm75(bus, 0x48, 9).read_celsius() == 22.0


def test_mux_unreachable_when_stuck_is_reported_not_hidden() -> None:
    bus, sw70, _, _ = board()
    sw70.mux_reachable_when_stuck = False
    sw70.channel(3).stuck = True
    topo = TopologyManager(bus)
    with pytest.raises(BusTimeout):
        with topo.select(MuxPath.of((0x70, 3))):
            Lm75(bus, 0x48, 9).read_celsius()
    assert topo.cached((), 0x70) is None  # the deselect failed: state unknown
    assert sw70.control == 0x08
